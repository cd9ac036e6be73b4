"""How dates, times and numbers read in every language of Sanad (config.settings.FORMAT_MODULE_PATH)."""

# Dates and times in every language as 2026-12-06 15:04 +03: digits the three languages all read,
# in the deployment's zone (TIME_ZONE) with the zone shown. Django's own ar and ckb formats spell
# months out in a script that then mixes with Latin digits in right-to-left text.
# A date and time is wrapped in Unicode's left-to-right isolate (U+2066 ... U+2069): in Arabic or
# Sorani text its parts would otherwise be laid out right to left (the zone's sign on the wrong
# side, the time before the date), wherever Django prints one (lists, read-only fields).
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "\u2066Y-m-d H:i T\u2069"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y-m"
MONTH_DAY_FORMAT = "m-d"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
