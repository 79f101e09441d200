"""The provider's wire: decode and answer the three encodings, normalize to CallLeg."""
