"""CRM connectors, each an outbox job handler: HubSpot, Pipedrive and a generic signed webhook."""
