"""The baseline server: ``python -m bench.echo_server PORT`` answers each ping with its pong.

Plain ``websockets``, no framework: it parses the JSON and replies, the least work a server
can do for the same exchange as the project's ``/ws/events/``.
"""

import asyncio
import json
import sys

from websockets.asyncio.server import ServerConnection, serve

MAX_MESSAGE_BYTES = 4096  # as the project's consumer


async def answer(websocket: ServerConnection) -> None:
    async for text in websocket:
        try:
            content = json.loads(text)
        except ValueError:
            continue
        if isinstance(content, dict) and content.get("type") == "ping":
            await websocket.send(json.dumps({"type": "pong", "id": content.get("id")}))


async def main(port: int) -> None:
    # No compression (the clients ask for none) and no keep-alive pings: only the exchange.
    async with serve(
        answer,
        "127.0.0.1",
        port,
        compression=None,
        ping_interval=None,
        max_size=MAX_MESSAGE_BYTES,
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
