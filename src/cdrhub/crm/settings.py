"""CRM settings: the `[crm.*]` sections of the TOML file, secrets also from the environment.

```toml
[crm.embed]
secret = "..."              # default: generated once and kept in the database
ttl_seconds = 2592000       # lifetime of a minted link (30 days; at most 366 days)
frame_ancestors = "*"       # CSP frame-ancestors of the widget page
language = "en"             # the widget's language and direction: "en" or "he" (right to left)

[crm.recordings]
enabled = false             # true: download every leg's recording into the archive (off unless set)
storage = "local"           # or "s3"
local_dir = "./recordings"
voicenter_code = ""         # appended as ?code=... when set (env CDRHUB_VOICENTER_CODE)
retain_days = 0             # 0: keep forever; else `cdrhub recordings prune` deletes older ones
# recording URL rules (docs/crm.md): hosts fetched from (exact, *.domain or IP; replaces the
# default), hosts given the code (Voicenter's own only), CIDRs allowed although not public
allowed_hosts = ["voicenter.co.il", "*.voicenter.co.il", "voicenter.com", "*.voicenter.com"]
code_hosts = ["voicenter.co.il", "*.voicenter.co.il", "voicenter.com", "*.voicenter.com"]
allowed_networks = []       # e.g. ["10.20.0.0/16"] for an internal S3-compatible server
max_redirects = 3           # each hop checked like the first

[crm.recordings.s3]         # needs the extra: pip install 'cdrhub[s3]' (boto3)
bucket = "calls"
region = "eu-central-1"
endpoint = ""               # empty: AWS; else MinIO, R2, Wasabi, B2, ... (https://...)
path_style = true           # <endpoint>/<bucket>/<key>; false: virtual-hosted
prefix = "recordings/"
access_key_id = "..."       # env CDRHUB_S3_ACCESS_KEY_ID; empty: boto3's credential chain
secret_access_key = "..."   # env CDRHUB_S3_SECRET_ACCESS_KEY
session_token = ""          # env CDRHUB_S3_SESSION_TOKEN (temporary keys)
profile = ""                # a profile of ~/.aws/config and credentials (instead of keys)

[crm.hubspot]
token = "pat-..."           # env CDRHUB_HUBSPOT_TOKEN; the connector is on when a token is set
create_contacts = false

[crm.pipedrive]
api_token = "..."           # env CDRHUB_PIPEDRIVE_API_TOKEN

[[crm.webhooks]]
name = "zapier"
url = "https://hooks.zapier.com/..."
secret = "whsec_..."
template = ""               # optional Jinja template of the JSON body
```
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from ipaddress import ip_network
from pathlib import Path
from typing import Any

from cdrhub.config import ConfigError, Settings, check_secret_length
from cdrhub.crm.recordings.urlpolicy import VOICENTER_HOSTS, UrlPolicy, normal_pattern
from cdrhub.crm.widget_text import LANGUAGES
from cdrhub.settings_keys import Schema, nearest

RECORDING_STORAGES = ("local", "s3")


# The longest lifetime of a minted widget link (API, command and [crm.embed] ttl_seconds): a
# link handed to a CRM cannot be revoked short of changing the secret, which ends them all.
MAX_TTL_SECONDS = 366 * 24 * 3600


@dataclass(frozen=True)
class EmbedSettings:
    secret: str | None = None
    ttl_seconds: int = 30 * 24 * 3600
    frame_ancestors: str = "*"
    language: str = "en"  # one of widget_text.LANGUAGES


S3_EXTRA_MISSING = "storage = \"s3\" needs boto3: pip install 'cdrhub[s3]'"


@dataclass(frozen=True)
class S3Settings:
    """Without keys or a profile, boto3's standard chain finds the credentials (environment,
    AWS_PROFILE, shared files, web identity, container and instance roles)."""

    endpoint: str = ""  # empty: AWS S3's endpoint for the region
    bucket: str = ""
    region: str = "us-east-1"
    access_key_id: str = ""
    secret_access_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)
    profile: str = ""
    path_style: bool = True
    prefix: str = "recordings/"


@dataclass(frozen=True)
class RecordingSettings:
    # Off unless configured: with no settings, nothing is fetched from anywhere (a recording
    # download without `voicenter_code` fails on Voicenter's hosts and ends in a dead job).
    enabled: bool = False
    storage: str = "local"
    local_dir: Path = Path("recordings")
    voicenter_code: str | None = None
    code_param: str = "code"
    attempts: int = 3  # in-job tries on 429 / 5xx before handing the retry to the outbox
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 30.0
    timeout_seconds: float = 60.0
    max_bytes: int = 200 * 1024 * 1024
    retain_days: int = 0
    s3: S3Settings = field(default_factory=S3Settings)
    # which recording URLs may be fetched, and which hosts get the code (urlpolicy.py)
    allowed_hosts: tuple[str, ...] = VOICENTER_HOSTS
    code_hosts: tuple[str, ...] = VOICENTER_HOSTS
    allowed_networks: tuple[str, ...] = ()
    max_redirects: int = 3

    @cached_property
    def url_policy(self) -> UrlPolicy:
        """ValueError for an entry that is not a host pattern or a network."""
        return UrlPolicy(
            allowed_hosts=tuple(normal_pattern(p) for p in self.allowed_hosts),
            code_hosts=tuple(normal_pattern(p) for p in self.code_hosts),
            allowed_networks=tuple(ip_network(n, strict=False) for n in self.allowed_networks),
        )


@dataclass(frozen=True)
class HubSpotSettings:
    token: str | None = None
    base_url: str = "https://api.hubapi.com"
    create_contacts: bool = False
    # "source": Voicenter's URL; "signed": our signed recording link on `public_url` (playable
    # in HubSpot when Voicenter's needs a login), valid `recording_link_days`
    recording_link: str = "source"
    recording_link_days: int = 3650
    timeout_seconds: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.token)


@dataclass(frozen=True)
class PipedriveSettings:
    api_token: str | None = None
    base_url: str = "https://api.pipedrive.com"
    attach_recordings: bool = True
    user_id: int | None = None
    log_unknown_callers: bool = True  # a call log without a person when no person matches
    timeout_seconds: float = 20.0

    @property
    def enabled(self) -> bool:
        return bool(self.api_token)


@dataclass(frozen=True)
class WebhookTarget:
    name: str
    url: str
    secret: str | None = None  # "whsec_<base64>"; unsigned when None
    template: str | None = None  # Jinja template rendering the body (`event`, `call`)
    content_type: str = "application/json"
    all_legs: bool = False  # also agent legs 1 and transfer legs, not only customer legs
    timeout_seconds: float = 20.0


@dataclass(frozen=True)
class CrmSettings:
    region: str = "IL"
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    recordings: RecordingSettings = field(default_factory=RecordingSettings)
    hubspot: HubSpotSettings = field(default_factory=HubSpotSettings)
    pipedrive: PipedriveSettings = field(default_factory=PipedriveSettings)
    webhooks: tuple[WebhookTarget, ...] = ()

    def webhook(self, name: str) -> WebhookTarget | None:
        return next((w for w in self.webhooks if w.name == name), None)


def _keys(cls: type[Any], **tables: Schema) -> Schema:
    return {**{name: None for name in cls.__dataclass_fields__ if name not in tables}, **tables}


# The keys of the `[crm.*]` sections and the variables CRM reads (cdrhub.settings_keys): a typo
# is refused.
SETTINGS_KEYS: Schema = {
    "crm": {
        "embed": _keys(EmbedSettings),
        "recordings": _keys(RecordingSettings, s3=_keys(S3Settings)),
        "hubspot": _keys(HubSpotSettings),
        "pipedrive": _keys(PipedriveSettings),
        "webhooks": _keys(WebhookTarget),
    }
}
ENVIRONMENT = frozenset(
    {
        "CDRHUB_EMBED_SECRET",
        "CDRHUB_S3_ACCESS_KEY_ID",
        "CDRHUB_S3_SECRET_ACCESS_KEY",
        "CDRHUB_S3_SESSION_TOKEN",
        "CDRHUB_VOICENTER_CODE",
        "CDRHUB_HUBSPOT_TOKEN",
        "CDRHUB_PIPEDRIVE_API_TOKEN",
    }
)


def _section(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"[crm.{name}] must be a table")
    return value


def _pick(cls: type[Any], data: Mapping[str, Any], where: str, **extra: Any) -> Any:
    known = set(cls.__dataclass_fields__)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            if isinstance(value, Mapping):
                continue
            close = nearest(key, known)
            hint = f"; did you mean {close!r}?" if close else ""
            raise ConfigError(f"{where}: unknown setting {key!r}{hint}")
        values[key] = value
    values.update({k: v for k, v in extra.items() if v not in (None, "")})
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _url_rules(cfg: RecordingSettings) -> RecordingSettings:
    def strings(name: str) -> tuple[str, ...]:
        value = getattr(cfg, name)
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"[crm.recordings] {name} must be a list of strings")
        return tuple(value)

    cfg = replace(
        cfg,
        allowed_hosts=strings("allowed_hosts"),
        code_hosts=strings("code_hosts"),
        allowed_networks=strings("allowed_networks"),
    )
    try:
        cfg.url_policy  # noqa: B018  (validates every entry now rather than at the first fetch)
    except ValueError as exc:
        raise ConfigError(f"[crm.recordings] {exc}") from None
    if not isinstance(cfg.max_redirects, int) or not 0 <= cfg.max_redirects <= 10:
        raise ConfigError("[crm.recordings] max_redirects must be 0 to 10")
    return cfg


def _check_s3(s3: S3Settings) -> None:
    if not s3.bucket:
        raise ConfigError("[crm.recordings.s3] needs a bucket")
    if bool(s3.access_key_id) != bool(s3.secret_access_key):
        raise ConfigError("[crm.recordings.s3] access_key_id and secret_access_key go together")
    if s3.session_token and not s3.access_key_id:
        raise ConfigError("[crm.recordings.s3] session_token needs access_key_id")
    if s3.profile and s3.access_key_id:
        raise ConfigError("[crm.recordings.s3] set either a profile or access keys, not both")
    if importlib.util.find_spec("boto3") is None:
        raise ConfigError(f"[crm.recordings] {S3_EXTRA_MISSING}")


def load_crm_settings(settings: Settings, env: Mapping[str, str] | None = None) -> CrmSettings:
    env = os.environ if env is None else env
    crm = settings.section("crm")
    embed = _pick(
        EmbedSettings, _section(crm, "embed"), "[crm.embed]", secret=env.get("CDRHUB_EMBED_SECRET")
    )
    check_secret_length(embed.secret, "[crm.embed] secret (CDRHUB_EMBED_SECRET)")
    ttl = embed.ttl_seconds
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TTL_SECONDS:
        raise ConfigError(f"[crm.embed] ttl_seconds must be 1 to {MAX_TTL_SECONDS} (366 days)")
    if embed.language not in LANGUAGES:
        raise ConfigError(f"[crm.embed] language must be one of {', '.join(LANGUAGES)}")
    rec_data = _section(crm, "recordings")
    s3 = _pick(
        S3Settings,
        _section(rec_data, "s3"),
        "[crm.recordings.s3]",
        access_key_id=env.get("CDRHUB_S3_ACCESS_KEY_ID"),
        secret_access_key=env.get("CDRHUB_S3_SECRET_ACCESS_KEY"),
        session_token=env.get("CDRHUB_S3_SESSION_TOKEN"),
    )
    recordings = _pick(
        RecordingSettings,
        rec_data,
        "[crm.recordings]",
        s3=s3,
        voicenter_code=env.get("CDRHUB_VOICENTER_CODE"),
    )
    if isinstance(recordings.local_dir, str):
        recordings = replace(recordings, local_dir=Path(recordings.local_dir))
    recordings = _url_rules(recordings)
    if recordings.storage not in RECORDING_STORAGES:
        raise ConfigError(f"[crm.recordings] storage must be one of {RECORDING_STORAGES}")
    if recordings.storage == "s3":
        _check_s3(s3)
    hubspot = _pick(
        HubSpotSettings,
        _section(crm, "hubspot"),
        "[crm.hubspot]",
        token=env.get("CDRHUB_HUBSPOT_TOKEN"),
    )
    if hubspot.recording_link not in ("source", "signed"):
        raise ConfigError('[crm.hubspot] recording_link must be "source" or "signed"')
    if hubspot.recording_link == "signed" and not settings.public_url:
        raise ConfigError('[crm.hubspot] recording_link = "signed" needs public_url')
    pipedrive = _pick(
        PipedriveSettings,
        _section(crm, "pipedrive"),
        "[crm.pipedrive]",
        api_token=env.get("CDRHUB_PIPEDRIVE_API_TOKEN"),
    )
    hooks = crm.get("webhooks", [])
    if isinstance(hooks, Mapping):
        hooks = [hooks]
    webhooks = tuple(
        _pick(WebhookTarget, {"name": f"webhook{i + 1}", **h}, "[[crm.webhooks]]")
        for i, h in enumerate(hooks)
    )
    if any(not w.name or len(w.name) > 64 for w in webhooks):
        raise ConfigError("[[crm.webhooks]] names must be 1 to 64 characters")
    if len({w.name for w in webhooks}) != len(webhooks):
        raise ConfigError("[[crm.webhooks]] names must be unique")
    return CrmSettings(
        region=settings.default_region,
        embed=embed,
        recordings=recordings,
        hubspot=hubspot,
        pipedrive=pipedrive,
        webhooks=webhooks,
    )
