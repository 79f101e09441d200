"""The domain: call legs, phone numbers, directions and outcomes."""
