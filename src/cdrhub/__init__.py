"""cdrhub: receive, keep and use Voicenter call detail records."""

__version__ = "0.1.0"
