#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the hand-made seed corpora of the fuzz targets.

    tests/fuzz/make_seeds.py [CORPUS_DIR]     (default tests/fuzz/corpus)

Every seed is built here from the wire or file format it stands for
(ctnetlink and inet_diag messages with the kernel's attribute layout, DNS
answers, conf files, argument lists), so the corpus can be regenerated and
reviewed. The GeoIP databases (mmdb/*.mmdb) come from
tests/tools/geo_make_db.pl when its Perl module is installed. Seeds named
crash-* are inputs that once found a bug: this script never touches them.
Deterministic but for the build time inside the .mmdb metadata.
"""
import os
import shutil
import struct
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, 'tests', 'fuzz', 'corpus')

AF_INET, AF_INET6 = 2, 10
TCP, UDP, ICMP, SCTP, ICMPV6, UDPLITE = 6, 17, 1, 132, 58, 136


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


# ---------------------------------------------------------------- netlink

def pad4(b):
    return b + b'\0' * (-len(b) % 4)


def nla(t, payload, nested=False):
    if isinstance(payload, list):
        payload = b''.join(payload)
        nested = True
    return pad4(struct.pack('=HH', 4 + len(payload), t | (0x8000 if nested else 0)) + payload)


def nlmsg(mtype, flags, payload, seq=0, pid=0):
    return pad4(struct.pack('=IHHII', 16 + len(payload), mtype, flags, seq, pid) + payload)


def be16(v):
    return struct.pack('>H', v)


def be32(v):
    return struct.pack('>I', v)


def be64(v):
    return struct.pack('>Q', v)


def ip4(s):
    return bytes(int(x) for x in s.split('.'))


def ip6(s):
    import ipaddress
    return ipaddress.IPv6Address(s).packed


# ctnetlink attribute numbers (linux/netfilter/nfnetlink_conntrack.h)
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO = 1, 2, 3, 4
CTA_TIMEOUT, CTA_MARK, CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY = 7, 8, 9, 10
CTA_USE, CTA_ID, CTA_ZONE, CTA_TIMESTAMP = 11, 12, 18, 20
CTA_TUPLE_IP, CTA_TUPLE_PROTO, CTA_TUPLE_ZONE = 1, 2, 3
NFNL_CT = 1 << 8
CT_NEW, CT_GET, CT_DELETE = 0, 1, 2
NLM_F_MULTI, NLM_F_CREATE, NLM_F_EXCL = 2, 0x400, 0x200


def tuple_attr(kind, family, src, dst, proto, sport=0, dport=0, icmp=None, zone=None):
    if family == AF_INET:
        ip = [nla(1, ip4(src)), nla(2, ip4(dst))]
    else:
        ip = [nla(3, ip6(src)), nla(4, ip6(dst))]
    p = [nla(1, bytes([proto]))]
    if icmp is not None:
        ident, typ, code = icmp
        base = 4 if proto == ICMP else 7
        p += [nla(base, be16(ident)), nla(base + 1, bytes([typ])), nla(base + 2, bytes([code]))]
    else:
        p += [nla(2, be16(sport)), nla(3, be16(dport))]
    parts = [nla(CTA_TUPLE_IP, ip), nla(CTA_TUPLE_PROTO, p)]
    if zone is not None:
        parts.append(nla(CTA_TUPLE_ZONE, be16(zone)))
    return nla(kind, parts)


def ct_msg(msg, flags, family, orig, reply, extra=()):
    payload = struct.pack('=BBH', family, 0, 0)
    payload += tuple_attr(CTA_TUPLE_ORIG, *orig)
    payload += tuple_attr(CTA_TUPLE_REPLY, *reply)
    payload += b''.join(extra)
    return nlmsg(NFNL_CT | msg, flags, payload)


def counters(po, bo, pr, br):
    return [nla(CTA_COUNTERS_ORIG, [nla(1, be64(po)), nla(2, be64(bo))]),
            nla(CTA_COUNTERS_REPLY, [nla(1, be64(pr)), nla(2, be64(br))])]


def tcp_state(s):
    return nla(CTA_PROTOINFO, [nla(1, [nla(1, bytes([s]))])])


def ct_seeds():
    tcp4 = (AF_INET, '192.0.2.1', '192.0.2.2', TCP, 40000, 80)
    tcp4r = (AF_INET, '192.0.2.2', '192.0.2.1', TCP, 80, 40000)
    common = [nla(CTA_STATUS, be32(0x18e)), nla(CTA_TIMEOUT, be32(431999)),
              nla(CTA_MARK, be32(7)), nla(CTA_USE, be32(1)), nla(CTA_ID, be32(0x1234abcd))]
    # events: NEW, UPDATE (state change, no mark), DESTROY with counters
    new = ct_msg(CT_NEW, NLM_F_CREATE | NLM_F_EXCL, AF_INET, tcp4, tcp4r,
                 [tcp_state(1)] + common)
    upd = ct_msg(CT_NEW, 0, AF_INET, tcp4, tcp4r,
                 [tcp_state(3), nla(CTA_ID, be32(0x1234abcd))])
    ts = nla(CTA_TIMESTAMP, [nla(1, be64(1700000000123456789))])
    dst = ct_msg(CT_DELETE, 0, AF_INET, tcp4, tcp4r,
                 counters(10, 900, 8, 4000) + [ts, nla(CTA_ID, be32(0x1234abcd))])
    put('ct_nlmsg', 'event-tcp4-new', new)
    put('ct_nlmsg', 'event-tcp4-update', upd)
    put('ct_nlmsg', 'event-tcp4-destroy', dst)
    put('ct_nlmsg', 'events-tcp4-lifecycle', new + upd + dst)

    # a dump reply: UDP over IPv6 in a zone, SCTP, ICMP and ICMPv6 echo, DONE
    udp6 = (AF_INET6, '2001:db8::1', '2001:db8::2', UDP, 5353, 53, None, 3)
    udp6r = (AF_INET6, '2001:db8::2', '2001:db8::1', UDP, 53, 5353, None, 3)
    sctp4 = (AF_INET, '198.51.100.1', '198.51.100.2', SCTP, 9899, 9899)
    sctp4r = (AF_INET, '198.51.100.2', '198.51.100.1', SCTP, 9899, 9899)
    icmp4 = (AF_INET, '203.0.113.1', '203.0.113.2', ICMP, 0, 0, (77, 8, 0))
    icmp4r = (AF_INET, '203.0.113.2', '203.0.113.1', ICMP, 0, 0, (77, 0, 0))
    icmp6 = (AF_INET6, '2001:db8::1', '2001:db8::2', ICMPV6, 0, 0, (5, 128, 0))
    icmp6r = (AF_INET6, '2001:db8::2', '2001:db8::1', ICMPV6, 0, 0, (5, 129, 0))
    dump = ct_msg(CT_NEW, NLM_F_MULTI, AF_INET6, udp6, udp6r,
                  counters(3, 300, 3, 600) + [nla(CTA_ID, be32(1))])
    dump += ct_msg(CT_NEW, NLM_F_MULTI, AF_INET, sctp4, sctp4r,
                   [nla(CTA_PROTOINFO, [nla(3, [nla(1, bytes([3]))])]),
                    nla(CTA_ZONE, be16(9)), nla(CTA_ID, be32(2))])
    dump += ct_msg(CT_GET, NLM_F_MULTI, AF_INET, icmp4, icmp4r,
                   counters(1, 84, 1, 84) + [nla(CTA_ID, be32(3))])
    dump += ct_msg(CT_NEW, NLM_F_MULTI, AF_INET6, icmp6, icmp6r, [nla(CTA_ID, be32(4))])
    dump += nlmsg(3, NLM_F_MULTI, struct.pack('=i', 0))	# NLMSG_DONE
    put('ct_nlmsg', 'dump-udp6-sctp-icmp', dump)
    # UDP-Lite and an unsupported protocol (GRE) beside each other
    lite = (AF_INET, '192.0.2.5', '192.0.2.6', UDPLITE, 1000, 2000)
    liter = (AF_INET, '192.0.2.6', '192.0.2.5', UDPLITE, 2000, 1000)
    gre = (AF_INET, '192.0.2.5', '192.0.2.6', 47, 0, 0)
    put('ct_nlmsg', 'event-udplite-and-gre',
        ct_msg(CT_NEW, NLM_F_CREATE, AF_INET, lite, liter) +
        ct_msg(CT_NEW, NLM_F_CREATE, AF_INET, gre, gre))
    # an error message as a dump may end with
    put('ct_nlmsg', 'dump-error', nlmsg(2, 0, struct.pack('=i', -95) + struct.pack('=IHHII', 20, 0x101, 0x301, 1, 0)))


# --------------------------------------------------------------- sock_diag

def flow_key(family, src, dst, sport, dport, proto, zone=0):
    a = ip4 if family == AF_INET else ip6

    def addr(s):
        b = a(s)
        return b + b'\0' * (16 - len(b))
    return addr(src) + addr(dst) + be16(sport) + be16(dport) + struct.pack('=HBB', zone, family, proto)


def diag_msg(family, state, src, dst, sport, dport, uid, inode):
    a = ip4 if family == AF_INET else ip6

    def addr(s):
        b = a(s)
        return b + b'\0' * (16 - len(b))
    m = struct.pack('=BBBB', family, state, 0, 0)
    m += be16(sport) + be16(dport) + addr(src) + addr(dst) + struct.pack('=I', 1) + b'\xff' * 8
    m += struct.pack('=IIIII', 0, 0, 0, uid, inode)
    return nlmsg(20, NLM_F_MULTI, m)	# SOCK_DIAG_BY_FAMILY


def diag_seeds():
    # TCP: a connection, a listener, and a dual-stack (v4-mapped) one
    buf = diag_msg(AF_INET, 1, '192.0.2.1', '192.0.2.2', 40000, 80, 1000, 4242)
    buf += diag_msg(AF_INET, 10, '0.0.0.0', '0.0.0.0', 8080, 0, 0, 4343)
    buf += diag_msg(AF_INET6, 1, '::ffff:192.0.2.1', '::ffff:192.0.2.9', 41000, 443, 0, 4444)
    buf += diag_msg(AF_INET6, 10, '::', '::', 22, 0, 0, 4545)
    buf += nlmsg(3, NLM_F_MULTI, struct.pack('=i', 0))
    out = flow_key(AF_INET, '192.0.2.1', '192.0.2.2', 40000, 80, TCP)
    outr = flow_key(AF_INET, '192.0.2.2', '192.0.2.1', 80, 40000, TCP)
    inb = flow_key(AF_INET, '198.51.100.7', '192.0.2.1', 5555, 22, TCP)
    inbr = flow_key(AF_INET, '192.0.2.1', '198.51.100.7', 22, 5555, TCP)
    put('sock_diag', 'tcp-connected', b'\0' + out + outr + buf)
    put('sock_diag', 'tcp-dualstack-listener', b'\0' + inb + inbr + buf)
    # UDP over IPv6, unconnected, then the kernel's error for UDP-Lite
    udp = diag_msg(AF_INET6, 7, '2001:db8::1', '::', 5353, 0, 0, 99)
    k = flow_key(AF_INET6, '2001:db8::1', '2001:db8::2', 5353, 53, UDP)
    kr = flow_key(AF_INET6, '2001:db8::2', '2001:db8::1', 53, 5353, UDP)
    put('sock_diag', 'udp6-unconnected', b'\1' + k + kr + udp + nlmsg(3, 0, b'\0' * 4))
    err = nlmsg(2, 0, struct.pack('=i', -2) + struct.pack('=IHHII', 72, 20, 0x301, 0, 0))
    put('sock_diag', 'udplite-enoent', b'\2' + k + kr + err)


# --------------------------------------------------------------------- DNS

def dns_name(name):
    out = b''
    for label in name.split(b'.'):
        if label:
            out += bytes([len(label)]) + label
    return out + b'\0'


def dns_seeds():
    q = dns_name(b'1.2.0.192.in-addr.arpa')
    hdr = struct.pack('>HHHHHH', 0x1234, 0x8180, 1, 1, 0, 0)
    ans = b'\xc0\x0c' + struct.pack('>HHIH', 12, 1, 3600, len(dns_name(b'host.example.org')))
    ans += dns_name(b'host.example.org')
    put('dns_ptr', 'ptr-compressed', hdr + q + struct.pack('>HH', 12, 1) + ans)
    # the PTR name points back into the question (compression in rdata)
    rd = b'\x04host\xc0\x0e'
    ans2 = b'\xc0\x0c' + struct.pack('>HHIH', 12, 1, 60, len(rd)) + rd
    put('dns_ptr', 'ptr-rdata-pointer', hdr + q + struct.pack('>HH', 12, 1) + ans2)
    # NXDOMAIN with the SOA of the zone: negative TTL (RFC 2308)
    soa = dns_name(b'ns.example.org') + dns_name(b'admin.example.org') + struct.pack('>IIIII', 1, 2, 3, 4, 900)
    hdrn = struct.pack('>HHHHHH', 0x1234, 0x8183, 1, 0, 1, 0)
    auth = dns_name(b'in-addr.arpa') + struct.pack('>HHIH', 6, 1, 3600, len(soa)) + soa
    put('dns_ptr', 'nxdomain-soa', hdrn + q + struct.pack('>HH', 12, 1) + auth)
    # a hostile name: escape sequences, bidi override, invalid UTF-8
    bad = b'\x1b[2J\x1b]0;pwn\x07' + '\u202e'.encode() + b'\xff\xfe'
    rd3 = bytes([len(bad)]) + bad + b'\x03org\0'
    ans3 = b'\xc0\x0c' + struct.pack('>HHIH', 12, 1, 5, len(rd3)) + rd3
    put('dns_ptr', 'ptr-escapes', hdr + q + struct.pack('>HH', 12, 1) + ans3)


# ------------------------------------------------------------- text files

def text_seeds():
    put('services_conf', 'tcp-conf', open(os.path.join(TOP, 'conf', 'tcp.conf')).read()[:1200])
    put('services_conf', 'udp-conf-bad-lines',
        '# comment\n53, domain\n  123 ,ntp  # trailing\n99999, big\nx, y\n'
        '80 http\n8080,\n22, two words\n7,' + 'a' * 40 + '\n514, syslog')
    put('services_conf', 'etc-services',
        'ssh\t\t22/tcp\t\t\t# SSH\ndomain\t\t53/udp\nsctp-x\t\t9899/sctp\n'
        'dccp-x\t\t5004/dccp\nbad\t\t70000/tcp\nnoproto\t\t12\n\x1b[31mred\t99/tcp\n')
    put('geoip_conf', 'geoip-conf', open(os.path.join(TOP, 'conf', 'geoip.conf')).read())
    put('geoip_conf', 'geoip-conf-errors',
        'path /tmp\npath\ndatabase a.mmdb City*\ndatabase a.mmdb\n'
        'mirror a.mmdb ftp://x\nmirror b.mmdb https://x\ntimeout 0\ntimeout 5\n'
        'database /abs/b.mmdb\nmirror /abs/b.mmdb http://192.0.2.1/b.mmdb.gz\nbogus x\n')
    put('iso_codes', 'iso-3166-excerpt',
        '{\n  "3166-1": [\n    {\n      "alpha_2": "NZ",\n      "alpha_3": "NZL",\n'
        '      "name": "New Zealand",\n      "numeric": "554"\n    },\n'
        '    {\n      "alpha_2": "TW",\n      "common_name": "Taiwan",\n'
        '      "name": "Taiwan, Province of China"\n    },\n'
        '    {\n      "alpha_2": "AX",\n      "name": "\\u00c5land Islands \\ud83c\\udde6 \\"q\\" \\n"\n    }\n  ]\n}\n')
    # process names, PTR names, GeoIP fields (first byte: output size)
    for name, size, s in [
            ('plain', 64, b'nginx: worker process'),
            ('escapes', 32, b'\x1b[2J\x1b]0;title\x07\x1bP+q\x1b\\evil\x9b31m'),
            ('utf8-cut', 9, 'Zürich €𝄞 München'.encode()),
            ('bidi', 80, 'abc\u202edcba\u2066x\u2069\ufeff'.encode()),
            ('invalid-utf8', 40, b'\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff'),
            ('inode-link', 64, b'socket:[123456]')]:
        put('sanitize', name, bytes([size]) + s)
    for name, args in [
            ('batch-json', ['--batch', '--count', '3', '--output', 'json', '-t', '0.5', '-4', '-TU']),
            ('ipfix', ['--batch', '--output', 'none', '--count', '0', '--ipfix', '[2001:db8::1]:4739',
                       '--ipfix-proto', 'tcp', '--ipfix-domain', '4294967295',
                       '--ipfix-active-timeout', '30', '--ipfix-template-refresh', '600']),
            ('collection', ['--acct', 'conntrack', '--max-flows', '262144', '--counter-map', 'lru',
                            '--netlink-buffer', '1048576', '--conf-dir', '/etc/flowtop', '-nGsb']),
            ('bad-values', ['-t', '1e3x', '--count', '-1', '--ipfix', '192.0.2.1:0', '--max-flows=']),
            ('help-cluster', ['-46IDSv']),
            ('selection', ['--batch', '--filter', 'dport 9 and src 127.20.0.0/16', '--sort', '-bytes',
                           '--reverse', '--top', '5'])]:
        put('config', name, '\0'.join(args))


def filter_seeds():
    for name, expr in [
            ('batch-top', 'dport 9 and src 127.20.0.0/16'),
            ('cidr6', 'src 2001:db8::/32 or dst net 198.51.100.0/24 or host ::1'),
            ('ports', 'sport 1024-65535 and dport != 22 or port ssh or src port 5353'),
            ('numbers', 'bytes > 1M and rate >= 100kB/s or pps < 10 or age 5s-1h or '
                        'orig_bytes == 0x10 or reply_packets <= 3Ki'),
            ('words', 'proto tcp state established zone 0 mark 0x10 family 6 id 7'),
            ('enrich', 'process curl* or user != root or pid 1 or country DE or '
                       'dst asn AS64496 or name .example.com or src name "*.org"'),
            ('logic', 'not (a or (b and !c)) && ("quoted text" || \'x y\')'),
            ('bad-nesting', '(' * 70 + 'tcp' + ')' * 70),
            ('bad-cidr', 'src 192.0.2.0/33 and dst 2001:db8::/129'),
            ('bad-tail', 'dport 9 and'),
            ('bad-ops', 'bytes > > 1M | proto & x ) ('),
            ('bad-quote', 'name "unterminated'),
            ('huge-number', 'bytes > 99999999999999999999999999999999999999999999P')]:
        put('filter_expr', name, expr)


def mmdb_seeds():
    tool = os.path.join(TOP, 'tests', 'tools', 'geo_make_db.pl')
    d = os.path.join(OUT, 'mmdb')
    os.makedirs(d, exist_ok=True)
    for layout in ('nested', 'flat', 'asn'):
        dst = os.path.join(d, layout + '.mmdb')
        r = subprocess.run(['perl', tool, dst + '.tmp', layout], capture_output=True)
        if r.returncode:
            sys.stderr.write('make_seeds: %s.mmdb not made (libmaxmind-db-writer-perl '
                             'missing?): %s\n' % (layout, r.stderr.decode().strip()))
            continue
        shutil.move(dst + '.tmp', dst)


ct_seeds()
diag_seeds()
dns_seeds()
text_seeds()
filter_seeds()
mmdb_seeds()
