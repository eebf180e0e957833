# strata doctor: can this build container reach each URL? One JSON line per URL on stdout,
# naming the first thing that failed: dns, connect, proxy, tls or http. Standard library only.
import json, os, socket, ssl, sys, urllib.parse, urllib.request

TIMEOUT = 10


def check(trust, url):
    parts = urllib.parse.urlsplit(url)
    host, tls = parts.hostname, parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    proxy = None
    if not urllib.request.proxy_bypass(host):
        proxy = urllib.request.getproxies().get(parts.scheme)
    report = {"url": url, "trust": trust, "tool": "python3", "via": proxy}

    def failed(stage, detail):
        report.update(failed_at=stage, detail=str(detail))
        return report

    peer = urllib.parse.urlsplit(proxy) if proxy else None
    dial = (peer.hostname, peer.port or 80) if peer else (host, port)
    try:
        socket.getaddrinfo(dial[0], dial[1], type=socket.SOCK_STREAM)
    except OSError as e:
        return failed("dns", f"{dial[0]}: {e}")
    try:
        sock = socket.create_connection(dial, timeout=TIMEOUT)
    except OSError as e:
        return failed("connect", f"{dial[0]}:{dial[1]}: {e}")
    try:
        if peer and tls:
            sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
            answer = sock.makefile("rb").readline().decode(errors="replace").strip()
            if answer.split(" ")[1:2] != ["200"]:
                return failed("proxy", f"CONNECT {host}:{port} answered {answer!r}")
        if tls:
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
            except ssl.SSLCertVerificationError as e:
                return failed("tls", f"certificate not trusted: {e.verify_message}")
            except (ssl.SSLError, OSError) as e:
                return failed("tls", e)
        target = url if (peer and not tls) else (parts.path or "/")
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: strata-doctor\r\n"
                     "Connection: close\r\n\r\n".encode())
        status_line = sock.makefile("rb").readline().decode(errors="replace").strip()
    except OSError as e:
        return failed("http", e)
    finally:
        sock.close()
    fields = status_line.split(" ")
    if len(fields) < 2 or not fields[1].isdigit():
        return failed("http", f"not an HTTP answer: {status_line!r}")
    report.update(failed_at=None, status=int(fields[1]))
    return report


for url in sys.argv[2:]:
    print(json.dumps(check(sys.argv[1], url)), flush=True)
