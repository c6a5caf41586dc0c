"""The public production stack: nginx (a buffering reverse proxy) in front of gunicorn
replicas, started and rolled by ``kg serve-public``. Neither the pipeline nor the web layer
imports this package; it only starts processes around them."""
