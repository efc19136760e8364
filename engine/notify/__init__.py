"""Who hears about a run: desktop alert rules (alerts), and for nobody at the screen e-mail, webhooks,
health-check pings and Prometheus metrics, through an outbox that loses nothing and sends nothing twice.

Callers use ``run_events`` (``notify_run_started``, ``notify_run_finished``, ``flush_outbox``),
``channel_check.send_test`` and ``settings`` (load, validate, save ``notifications.toml``).
"""
