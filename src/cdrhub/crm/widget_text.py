"""The widget's words in each language it speaks, and the writing direction of each.

Pure data: `[crm.embed] language` picks one (crm/settings.py checks it is here); the template
(crm/templates/embed.html) takes the words from `TEXTS[language]` and `dir` from `direction`.
"""

from __future__ import annotations

from typing import Any

RTL = frozenset({"ar", "fa", "he", "ur", "yi"})

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "calls_with": "Calls with",
        "callback_open": "Callback open since",
        "missed": "missed",
        "assigned_to": "assigned to",
        "no_calls": "No calls with this number yet.",
        "in": "in",
        "out": "out",
        "queue": "Queue",
        "waited": "waited",
        "talk": "talk",
        "ivr": "IVR",
        "transcript": "Transcript",
        "outcomes": {
            "answered": "answered",
            "voicemail": "voicemail",
            "no_answer": "no answer",
            "busy": "busy",
            "cancelled": "cancelled",
            "hung_up_in_ivr": "hung up in IVR",
            "ivr_message": "IVR message",
            "not_dialed": "not dialed",
            "abandoned": "abandoned",
            "failed": "failed",
            "unknown": "unknown",
        },
    },
    "he": {
        "calls_with": "שיחות עם",
        "callback_open": "חזרה ללקוח פתוחה מאז",
        "missed": "שלא נענו",
        "assigned_to": "באחריות",
        "no_calls": "אין עדיין שיחות עם המספר הזה.",
        "in": "נכנסת",
        "out": "יוצאת",
        "queue": "תור",
        "waited": "המתנה",
        "talk": "שיחה",
        "ivr": "נתב",
        "transcript": "תמלול",
        "outcomes": {
            "answered": "נענתה",
            "voicemail": "תא קולי",
            "no_answer": "לא נענתה",
            "busy": "תפוס",
            "cancelled": "בוטלה",
            "hung_up_in_ivr": "ניתוק בנתב",
            "ivr_message": "הודעת נתב",
            "not_dialed": "לא חויגה",
            "abandoned": "ננטשה",
            "failed": "נכשלה",
            "unknown": "לא ידוע",
        },
    },
}
LANGUAGES = tuple(TEXTS)


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"
