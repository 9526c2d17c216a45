#!/usr/bin/env python3
"""What device connections cost a gateway in memory.

Starts `msgbed serve` (everything in one process, on loopback), then opens
connections from this process and reads the server's resident set size
(VmRSS) before and after:
  idle       N connections that sign in and then say nothing;
  partial    N connections that sign in and send all but the last byte of
             a frame of the largest size the gateway accepts.
Prints bytes per connection for each. Usage:
  bench/connection_memory.py ./build/msgbed [--connections 2000]
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def sign_in_frame(user):
    # ClientFrame{request_id: 1, dev_sign_in: {user_id: user, device_id: 1}}
    inner = b"\x08" + varint(user) + b"\x10\x01"
    body = b"\x08\x01" + b"\x12" + varint(len(inner)) + inner
    return struct.pack(">I", len(body)) + body


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def read_frame(sock):
    header = b""
    while len(header) < 4:
        chunk = sock.recv(4 - len(header))
        if not chunk:
            raise RuntimeError("server closed the connection")
        header += chunk
    n = struct.unpack(">I", header)[0]
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return body


def open_signed_in(port, first_user, n):
    socks = []
    for i in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(sign_in_frame(first_user + i))
        socks.append(s)
    for s in socks:
        read_frame(s)  # SignedIn
    return socks


def settle(pid, seconds=1.0):
    # The server has answered every sign-in; give the allocator a moment, then read.
    time.sleep(seconds)
    return rss_bytes(pid)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("msgbed")
    ap.add_argument("--connections", type=int, default=2000)
    args = ap.parse_args()
    n = args.connections
    with tempfile.TemporaryDirectory() as tmp:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        config = os.path.join(tmp, "deploy.yaml")
        with open(config, "w") as f:
            f.write(f"partitions: 4\nbus: {{mode: mock, mock_brokers: 1}}\n"
                    f"storage: {{data_dir: {tmp}/data, sync: false}}\n"
                    f"instances:\n  gateway/0: {{client: 127.0.0.1:{port}, rpc: 127.0.0.1:0}}\n"
                    f"  messages/0: {{rpc: 127.0.0.1:0}}\n  sync/0: {{rpc: 127.0.0.1:0}}\n")
        server = subprocess.Popen([args.msgbed, "serve", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port)).close()
                    break
                except OSError:
                    time.sleep(0.1)
            warm = open_signed_in(port, 1, 50)  # first allocations, thread stacks
            base = settle(server.pid)
            idle = open_signed_in(port, 1000, n)
            after_idle = settle(server.pid)
            max_frame = 64 * 1024
            partial = open_signed_in(port, 1000 + n, n)
            for s in partial:
                s.sendall(struct.pack(">I", max_frame) + b"\0" * (max_frame - 1))
            after_partial = settle(server.pid)
            per_idle = (after_idle - base) / n
            per_partial = (after_partial - after_idle) / n
            print(f"connections: {n} idle, then {n} more each holding a {max_frame - 1}-byte partial frame")
            print(f"server RSS: {base / 2**20:.1f} MiB at start, {after_idle / 2**20:.1f} MiB with idle, "
                  f"{after_partial / 2**20:.1f} MiB with partial frames")
            print(f"per idle signed-in connection:    {per_idle / 1024:.1f} KiB")
            print(f"per connection with partial frame: {per_partial / 1024:.1f} KiB")
            for s in warm + idle + partial:
                s.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
