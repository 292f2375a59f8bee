"""gunicorn settings for `make serve` and deployments (`gunicorn -c site_config/gunicorn.conf.py`).

Threaded workers: most of a request's time here is the template engine (CPU, one core per
process under the GIL) or waiting on the database and Stripe (threads overlap those waits). Two
processes for two cores, eight threads each, unless WEB_CONCURRENCY / GUNICORN_THREADS say
otherwise.
"""

import os

wsgi_app = "site_config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# Slow clients and Stripe calls (their timeout is 20 s) fit; a stuck worker is replaced.
timeout = 60
graceful_timeout = 10
keepalive = 5
# Django logs one line per request with its request id (site_config/request_log.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Proxy headers (X-Forwarded-Proto) are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
control_socket_disable = True  # two instances (site and sandbox API) would share one path
