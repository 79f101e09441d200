"""Channel clients: one module per outside service, each a function that sends one message
with httpx (or smtplib) and turns the provider's documented errors into outbox outcomes."""
