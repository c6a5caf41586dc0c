"""What keeps a query process away from the host, enforced by the kernel rather than
predicted: the seccomp and Landlock rules every query process installs (``sandbox``), and for
queries that call an allow-listed ``SERVICE``, a network namespace of their own
(``private_network``) where only the allow-listed endpoints exist (``service_routes`` works out
which address stands for which), joined to the real ones by a forwarder outside
(``forwarder``)."""
