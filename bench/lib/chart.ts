// Small charts: written as SVG by hand (bars, lines, labels), rendered to PNG by resvg with the
// system's fonts. No plotting library: two chart shapes are all the report needs.
import { Resvg } from '@resvg/resvg-js';

const COLORS = ['#4c72b0', '#dd8452', '#55a868', '#c44e52', '#8172b3'];
const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(
  x: number,
  y: number,
  content: string,
  options: {
    size?: number;
    anchor?: 'start' | 'middle' | 'end';
    weight?: string;
    fill?: string;
  } = {},
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-family="${FONT}" font-size="${options.size ?? 12}" text-anchor="${options.anchor ?? 'middle'}" font-weight="${options.weight ?? 'normal'}" fill="${options.fill ?? '#222'}">${escape(content)}</text>`;
}

export interface BarGroup {
  label: string;
  /** One value per series (NaN for none), and the label printed above each bar. */
  values: number[];
  labels: string[];
}

export interface BarChart {
  title: string;
  yLabel: string;
  series: string[];
  groups: BarGroup[];
  /** A dashed horizontal line, e.g. a target. */
  line?: { value: number; label: string };
}

export function barChartSvg(chart: BarChart, width = 820, height = 420): string {
  const margin = { top: 56, right: 20, bottom: 56, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = chart.groups.flatMap((g) => g.values).filter(Number.isFinite);
  const top = Math.max(...all, chart.line?.value ?? 0) * 1.15 || 1;
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="white"/>`];
  parts.push(text(width / 2, 24, chart.title, { size: 16, weight: 'bold' }));
  // Grid and axis.
  const step = niceStep(top / 5);
  for (let v = 0; v <= top; v += step) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(margin.left - 6, y(v) + 4, formatTick(v, step), { anchor: 'end', size: 11 }));
  }
  parts.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" font-family="${FONT}" font-size="12" text-anchor="middle">${escape(chart.yLabel)}</text>`,
  );
  const groupW = plotW / chart.groups.length;
  const barW = Math.min(56, (groupW * 0.8) / chart.series.length);
  chart.groups.forEach((group, gi) => {
    const x0 = margin.left + gi * groupW + (groupW - barW * chart.series.length) / 2;
    group.values.forEach((value, si) => {
      if (!Number.isFinite(value)) return;
      const x = x0 + si * barW;
      parts.push(
        `<rect x="${x + 2}" y="${y(value)}" width="${barW - 4}" height="${margin.top + plotH - y(value)}" fill="${COLORS[si % COLORS.length]}"/>`,
      );
      parts.push(text(x + barW / 2, y(value) - 5, group.labels[si] ?? '', { size: 10 }));
    });
    parts.push(
      text(margin.left + gi * groupW + groupW / 2, margin.top + plotH + 20, group.label, {
        size: 12,
      }),
    );
  });
  if (chart.line) {
    const ly = y(chart.line.value);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ly}" y2="${ly}" stroke="#c44e52" stroke-dasharray="6 4" stroke-width="1.5"/>`,
    );
    // Its key sits at the right end of the legend row, clear of the bars.
    const keyX = width - margin.right - 8 - chart.line.label.length * 6.2;
    parts.push(
      `<line x1="${keyX - 30}" x2="${keyX - 6}" y1="38" y2="38" stroke="#c44e52" stroke-dasharray="6 4" stroke-width="1.5"/>`,
      text(keyX, 42, chart.line.label, { anchor: 'start', size: 11, fill: '#c44e52' }),
    );
  }
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#444"/>`,
  );
  parts.push(legend(chart.series, margin.left, 42));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; points: [number, number][] }[];
}

export function lineChartSvg(chart: LineChart, width = 820, height = 420): string {
  const margin = { top: 56, right: 24, bottom: 56, left: 64 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1]));
  const right = Math.max(...xs, 1) * 1.05;
  const top = Math.max(...ys, 1) * 1.15;
  const x = (v: number) => margin.left + (v / right) * plotW;
  const y = (v: number) => margin.top + plotH - (v / top) * plotH;
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="white"/>`];
  parts.push(text(width / 2, 24, chart.title, { size: 16, weight: 'bold' }));
  const yStep = niceStep(top / 5);
  for (let v = 0; v <= top; v += yStep) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
    );
    parts.push(text(margin.left - 6, y(v) + 4, formatTick(v), { anchor: 'end', size: 11 }));
  }
  for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(text(x(v), margin.top + plotH + 18, formatTick(v), { size: 11 }));
  }
  parts.push(text(margin.left + plotW / 2, height - 12, chart.xLabel, { size: 12 }));
  parts.push(
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" font-family="${FONT}" font-size="12" text-anchor="middle">${escape(chart.yLabel)}</text>`,
  );
  parts.push(
    `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#444"/>`,
  );
  chart.series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length];
    const path = s.points
      .map((p, i) => `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of s.points) {
      parts.push(`<circle cx="${x(p[0])}" cy="${y(p[1])}" r="3.5" fill="${color}"/>`);
      // Labels of the first series above the points, of the others below, so they never collide.
      const dy = si === 0 ? -8 : 16;
      parts.push(text(x(p[0]), y(p[1]) + dy, formatTick(p[1]), { size: 10, fill: color }));
    }
  });
  parts.push(
    legend(
      chart.series.map((s) => s.name),
      margin.left,
      42,
    ),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function legend(names: string[], x0: number, y0: number): string {
  let x = x0;
  const parts: string[] = [];
  names.forEach((name, i) => {
    parts.push(
      `<rect x="${x}" y="${y0 - 9}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`,
    );
    parts.push(text(x + 16, y0 + 1, name, { anchor: 'start', size: 12 }));
    x += 28 + name.length * 7;
  });
  return parts.join('');
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw || 1));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

function formatTick(v: number, step?: number): string {
  if (step !== undefined && step < 1) return v.toFixed(Math.ceil(-Math.log10(step)));
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (v >= 10 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(v < 1 ? 2 : 1);
}

export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
