# The pylambda webhook image: `make docker-build` (IMG=pylambda-webhook:dev).
# Three stages so that neither the TypeScript toolchain nor npm's cache reaches the runtime image.
ARG NODE_IMAGE=node:20-alpine

# ---- build: every dependency, compile src/ to dist/src/ (tsconfig.build.json)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- production dependencies only
FROM ${NODE_IMAGE} AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
# The service needs node and nothing else: drop the package managers (and their CVEs).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg
WORKDIR /app
ENV NODE_ENV=production PORT=8080
# Everything stays owned by root and read-only to the service's user. The service finds schemas/
# next to package.json (src/package-root.ts), so the layout mirrors the repository. The Python
# runtime is not here: it ships in its own image (runtime/Dockerfile).
COPY package.json ./
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY schemas ./schemas
# Numeric, so that the kubelet can check runAsNonRoot; config/manager runs the pod as the same user.
USER 10001:10001
EXPOSE 8080
# node directly (not npm start): it is PID 1 and gets SIGTERM for the graceful shutdown.
ENTRYPOINT ["node", "dist/src/server.js"]
