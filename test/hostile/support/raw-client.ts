// A TCP connection that writes exactly what a test tells it (maybe nothing at all), and says
// what came back and when the server closed it.
import { connect, type Socket } from 'node:net';

export interface RawClient {
  socket: Socket;
  received: () => string;
  closedAt: Promise<number>;
  closed: () => boolean;
}

/** A connection that writes `first` (maybe nothing) and then only what the test writes. */
export function rawClient(port: number, first = ''): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    let received = '';
    let closed = false;
    const socket = connect({ host: '127.0.0.1', port }, () => {
      if (first) socket.write(first);
      resolve({ socket, received: () => received, closedAt, closed: () => closed });
    });
    const closedAt = new Promise<number>((done) =>
      socket.on('close', () => {
        closed = true;
        done(Date.now());
      }),
    );
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}
