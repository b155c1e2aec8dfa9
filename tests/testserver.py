"""What the tests' HTTP servers (httpd.py, mock_kms.py) share: a threaded
server for which a client giving up is no error, and a start that tells
the test the port and bounds the server's life."""
import os
import ssl
import sys
import threading
from http.server import ThreadingHTTPServer


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gives up mid-response (a timeout, a cut download) is
        # part of the tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def pop_tls(args):
    """Removes "--tls CERT KEY" from the list `args`: [CERT, KEY], or None."""
    if "--tls" not in args:
        return None
    i = args.index("--tls")
    tls = args[i + 1:i + 3]
    del args[i:i + 3]
    return tls


def serve(server, portfile, lifetime, tls=None):
    """Serves until the process ends, with https if `tls` is [CERT, KEY].
    The port goes to `portfile` once listening (renamed into place, so a
    test never reads half of it); after `lifetime` seconds the process
    exits, so a test that dies cannot leave the server behind."""
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls[0], tls[1])
        server.socket = context.wrap_socket(server.socket, server_side=True)
    timer = threading.Timer(lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()
