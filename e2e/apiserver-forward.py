#!/usr/bin/env python3
"""The API server as pods reach it: a TCP forwarder on the node's bridge address.

kube-apiserver listens on 127.0.0.1 only (nothing of the e2e cluster is reachable from the
network), which a pod cannot reach: its 127.0.0.1 is its own. cluster-up.sh advertises the bridge
gateway address for the `kubernetes` Service, kube-proxy rewrites 10.96.0.1:443 to it, and this
forwards those connections to 127.0.0.1. It binds the bridge address only, so it is reachable
from the node's pods and from this machine, never from the network. TLS passes through
untouched: pods verify the API server's own certificate (it names 10.96.0.1).

Usage: apiserver-forward.py LISTEN_HOST PORT TARGET_PORT
Bounded: at most MAX_CONNECTIONS at once (more are closed at once), each closed after IDLE_SECONDS
without traffic in either direction.
"""
import asyncio
import sys

MAX_CONNECTIONS = 64
IDLE_SECONDS = 600
CHUNK = 64 * 1024


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await asyncio.wait_for(reader.read(CHUNK), IDLE_SECONDS)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def main(listen_host: str, port: int, target_port: int) -> None:
    open_connections = 0

    async def handle(client_reader, client_writer):
        nonlocal open_connections
        if open_connections >= MAX_CONNECTIONS:
            client_writer.close()
            return
        open_connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            open_connections -= 1
            return
        try:
            await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))
        finally:
            open_connections -= 1

    server = await asyncio.start_server(handle, listen_host, port)
    print(f"forwarding {listen_host}:{port} to 127.0.0.1:{target_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
