"""The customer's page: contacts, call timelines, the embeddable widget, recordings archive and
CRM connectors (HubSpot, Pipedrive, a generic signed webhook)."""
