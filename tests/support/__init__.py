"""Real servers for the tests and the benchmarks: a SendGrid-compatible HTTP API and an
SMTP server (aiosmtpd), both on 127.0.0.1, plus TLS certificates made on the spot."""
