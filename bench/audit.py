#!/usr/bin/env python3
"""sipwall audit speed: a generated export of about 100 000 lines per format, parsed and audited
by the release binary (`sipwall audit FILE --format F --json`, fixes rendered, process start
included). Reports min/median wall time over ROUNDS and MB/s per parser. Where the format has
a real tool that reads the same file (`nft -c -f`, `iptables-restore --test`), that tool is
timed on the same file in the same run as a reference point.

Each export is our own rendering of a built-in profile (`sipwall rules`) with ~100k lines of
plausible rules inserted where the vendor keeps them, so the parser sees realistic syntax.

  bench/audit.py [ROUNDS]        (default 5; builds the release binary first, unless
                                 SIPWALL_BIN names a binary to use as it is)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("SIPWALL_BIN") or os.path.join(ROOT, "target", "release", "sipwall")
PROFILE = "fonality-pbxtra"
TARGET_LINES = 100_000


def render(vendor, *extra):
    return subprocess.run([BIN, "rules", "--vendor", vendor, "--profile", PROFILE, *extra],
                          check=True, capture_output=True, text=True).stdout


def host(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def port(i):
    return 1024 + i % 60000


def insert_after(text, marker, block):
    at = text.index(marker) + len(marker)
    return text[:at] + block + text[at:]


def insert_before(text, marker, block):
    at = text.index(marker)
    return text[:at] + block + text[at:]


def nftables():
    text = render("nftables")
    rules = "".join(f'\t\tiifname "lan0" oifname "wan0" ip daddr {host(i)} tcp dport {port(i)} accept comment "bench-{i}"\n'
                    for i in range(TARGET_LINES))
    return insert_after(text, "ct state invalid drop\n", rules)


def iptables():
    text = render("iptables")
    rules = "".join(f"-A FORWARD -i lan0 -o wan0 -d {host(i)}/32 -p tcp -m tcp --dport {port(i)} -j ACCEPT\n"
                    for i in range(TARGET_LINES))
    table = text.index("*filter")
    return text[:table] + insert_before(text[table:], "COMMIT", rules)


def mikrotik():
    text = render("mikrotik-v7", "--wan", "ether1", "--lan", "bridge")
    rules = "/ip firewall filter\n" + "".join(
        f'add action=accept chain=forward comment="bench-{i}" dst-address={host(i)} dst-port={port(i)} '
        f'in-interface=bridge out-interface=ether1 protocol=tcp\n' for i in range(TARGET_LINES))
    return text + "\n" + rules


def fortigate():
    text = render("fortigate-6.2")
    blocks = ["config firewall policy\n"]
    for i in range(TARGET_LINES // 10):
        blocks.append(f'    edit {1000 + i}\n        set name "bench-{i}"\n        set srcintf "internal"\n'
                      f'        set dstintf "wan1"\n        set srcaddr "all"\n        set dstaddr "all"\n'
                      f'        set action accept\n        set schedule "always"\n        set service "HTTPS"\n    next\n')
    blocks.append("end\n")
    return text + "\n" + "".join(blocks)


def cisco_asa():
    text = render("cisco-asa", "--wan", "outside", "--lan", "inside")
    rules = "".join(f"access-list bench_in extended permit tcp any host {host(i)} eq {port(i)}\n"
                    for i in range(TARGET_LINES))
    return text + "\n" + rules


def junos():
    text = render("juniper-srx", "--wan", "untrust", "--lan", "trust")
    lines = []
    for i in range(TARGET_LINES // 4):
        p = f"set security policies from-zone trust to-zone untrust policy bench-{i}"
        lines += [f"{p} match source-address any\n", f"{p} match destination-address any\n",
                  f"{p} match application junos-https\n", f"{p} then permit\n"]
    return text + "\n" + "".join(lines)


def panos():
    text = render("panos", "--wan", "untrust", "--lan", "trust")
    rules = "".join(f"set rulebase security rules bench-{i} from trust to untrust source any destination {host(i)} "
                    f"application any service service-https action allow\n" for i in range(TARGET_LINES))
    return text + "\n" + rules


def vyos():
    text = render("vyos-1.4", "--wan", "eth0", "--lan", "eth1")
    lines = []
    for i in range(TARGET_LINES // 4):
        r = f"set firewall ipv4 name BENCH rule {i + 1}"
        lines += [f"{r} action 'accept'\n", f"{r} protocol 'tcp'\n", f"{r} destination port '{port(i)}'\n",
                  f"{r} destination address '{host(i)}'\n"]
    return text + "\n" + "".join(lines)


def pfsense():
    text = render("pfsense")
    rules = "".join(f"<rule><type>pass</type><interface>lan</interface><ipprotocol>inet</ipprotocol><protocol>tcp</protocol>"
                    f"<source><any/></source><destination><address>{host(i)}</address><port>{port(i)}</port></destination>"
                    f"<descr>bench-{i}</descr></rule>\n" for i in range(TARGET_LINES))
    return insert_after(text, "<filter>\n", rules) if "<filter>\n" in text else text + rules


FORMATS = [
    ("nftables", nftables, ["unshare", "-rn", "nft", "-c", "-f"]),
    ("iptables", iptables, None),
    ("mikrotik", mikrotik, None),
    ("fortigate", fortigate, None),
    ("cisco-asa", cisco_asa, None),
    ("junos", junos, None),
    ("panos", panos, None),
    ("vyos", vyos, None),
    ("pfsense", pfsense, None),
]


def timed(command, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{command[:4]} failed ({result.returncode}): {result.stderr.decode()[:400]}")
    return min(times), statistics.median(times)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    if not os.environ.get("SIPWALL_BIN"):
        subprocess.run(["cargo", "build", "--release", "--locked", "-p", "sipwall"], cwd=ROOT, check=True)
    print(f"sipwall audit, ~{TARGET_LINES} generated lines per export, {rounds} rounds, min / median")
    print(f"{'format':<10} {'lines':>8} {'MB':>6} {'min s':>7} {'median s':>9} {'MB/s':>7} {'read':>6}  reference")
    with tempfile.TemporaryDirectory() as scratch:
        for name, generate, reference in FORMATS:
            text = generate()
            path = os.path.join(scratch, f"{name}.txt")
            with open(path, "w") as f:
                f.write(text)
            lines = text.count("\n")
            mb = len(text.encode()) / 1e6
            command = [BIN, "audit", path, "--format", name, "--json", "--profile", PROFILE]
            best, median = timed(command, rounds)
            report = json.loads(subprocess.run(command, capture_output=True, text=True).stdout)
            coverage = report["coverage"]
            read = (coverage["understood"] + coverage["ignored"]) / max(1, sum(coverage.values()))
            ref = ""
            if reference:
                r_best, r_median = timed(reference + [path], rounds)
                ref = f"{' '.join(reference[2:4])}: {r_best:.3f} / {r_median:.3f} s (sipwall {r_median / median:.1f}x faster)"
            print(f"{name:<10} {lines:>8} {mb:>6.1f} {best:>7.3f} {median:>9.3f} {mb / median:>7.1f} {read:>6.1%}  {ref}",
                  flush=True)


if __name__ == "__main__":
    main()
