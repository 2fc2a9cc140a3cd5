"""Swedish dates: "4 dec. 2026" in running text, ISO in tables. The month
abbreviations with their full stop ("dec.", but "maj", "juni") are the Swedish
translations of Django's "abbrev. month" strings, in roles/locale/sv."""

DATE_FORMAT = "j N Y"
DATETIME_FORMAT = "j N Y H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
