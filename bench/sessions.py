#!/usr/bin/env python3
"""Memory per idle control session and per RTP echo stream of `sipwall serve`.

Starts the release binary on loopback, opens N idle check sessions (hello/welcome only), then
M media streams (each sending a little RTP so the stream's state is real), and reads the
server's resident memory (VmRSS) before and after each step. Repeats ROUNDS times; prints
min/median bytes per session and per stream.

    bench/sessions.py [--sessions 200] [--streams 64] [--rounds 3]
"""
import argparse, json, os, socket, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "sipwall")


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def hello(port):
    connection = socket.create_connection(("127.0.0.1", port))
    stream = connection.makefile("rwb")
    stream.write(b'{"type":"hello","version":1,"client":"bench"}\n')
    stream.flush()
    welcome = json.loads(stream.readline())
    assert welcome["type"] == "welcome", welcome
    return connection, stream


def request(stream, message):
    stream.write((json.dumps(message) + "\n").encode())
    stream.flush()
    return json.loads(stream.readline())


def settle(pid):
    time.sleep(0.5)
    return rss(pid)


def one_round(args, control_port):
    server = subprocess.Popen(
        [BINARY, "serve", "--primary", "127.0.0.1:39478", "--sip", "none",
         "--control", f"127.0.0.1:{control_port}", "--max-sessions", "10000",
         "--max-sessions-per-ip", "10000", "--duration", "120"],
        stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", control_port)).close()
                break
            except OSError:
                time.sleep(0.05)
        base = settle(server.pid)
        sessions = [hello(control_port) for _ in range(args.sessions)]
        with_sessions = settle(server.pid)
        per_session = (with_sessions - base) / args.sessions

        # Media: streams spread over sessions (at most 8 per session), each fed 50 packets.
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.setblocking(False)
        opened = 0
        request_id = 1
        for _, stream in sessions:
            if opened >= args.streams:
                break
            count = min(8, args.streams - opened)
            answer = request(stream, {"type": "request", "id": request_id, "request": "media",
                                      "streams": count, "duration_ms": 60000})
            request_id += 1
            assert answer.get("answer") == "media_ready", answer
            for port in answer["ports"]:
                for seq in range(50):
                    packet = bytes([0x80, 0]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") \
                        + (0x5157).to_bytes(4, "big") + b"\xff" * 160
                    sender.sendto(packet, ("127.0.0.1", port))
            opened += count
        with_media = settle(server.pid)
        per_stream = (with_media - with_sessions) / max(opened, 1)
        for connection, _ in sessions:
            connection.close()
        return per_session, per_stream
    finally:
        server.terminate()
        server.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--streams", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "sipwall", "--bin", "sipwall"],
                   cwd=ROOT, check=True)
    results = [one_round(args, 39700 + i) for i in range(args.rounds)]
    sessions = sorted(r[0] for r in results)
    streams = sorted(r[1] for r in results)
    print(f"idle control session: min {sessions[0]/1024:.1f} KiB, median {statistics.median(sessions)/1024:.1f} KiB "
          f"({args.sessions} sessions, {args.rounds} rounds)")
    print(f"RTP echo stream:      min {streams[0]/1024:.1f} KiB, median {statistics.median(streams)/1024:.1f} KiB "
          f"({args.streams} streams, {args.rounds} rounds)")


if __name__ == "__main__":
    sys.exit(main())
