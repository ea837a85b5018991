package dev.aranya.arhat.internal;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the time at the start of a log line: ISO 8601 / RFC 3339 ({@code 2026-11-25T16:28:14.123Z},
 * {@code 2026-11-25 16:28:14,123 +0100}, no zone = the device's zone) or syslog ({@code Nov 25 16:28:14}, this year
 * or the last).
 */
final class LineTimestamps {
    private static final Pattern ISO = Pattern.compile(
            "^(\\d{4})-(\\d{2})-(\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})(?:[.,](\\d{1,9}))?\\s?(Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern SYSLOG = Pattern.compile("^([A-Z][a-z]{2}) {1,2}(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2})");

    private final ZoneId zone;
    private final Instant now;

    LineTimestamps(ZoneId zone, Instant now) {
        this.zone = zone;
        this.now = now;
    }

    /** @return the line's time, or null if it does not start with one */
    Instant parse(CharSequence line) {
        Matcher iso = ISO.matcher(line);
        if (iso.lookingAt()) {
            return iso(iso);
        }
        Matcher syslog = SYSLOG.matcher(line);
        if (syslog.lookingAt()) {
            return syslog(syslog);
        }
        return null;
    }

    /** How many characters of the line the time takes, 0 if none. */
    static int length(CharSequence line) {
        Matcher iso = ISO.matcher(line);
        return iso.lookingAt() ? iso.end() : 0;
    }

    private Instant iso(Matcher m) {
        try {
            String fraction = m.group(7) == null ? "0" : (m.group(7) + "00000000").substring(0, 9);
            LocalDateTime local = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                    Integer.parseInt(m.group(6)), Integer.parseInt(fraction));
            String offset = m.group(8);
            if (offset == null) {
                return local.atZone(zone).toInstant();
            }
            if (offset.equals("Z")) {
                return local.toInstant(ZoneOffset.UTC);
            }
            return local.toInstant(ZoneOffset.of(offset.length() == 5 ? offset.substring(0, 3) + ":" + offset.substring(3) : offset));
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private Instant syslog(Matcher m) {
        Month month = null;
        for (Month candidate : Month.values()) {
            if (candidate.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).equals(m.group(1))) {
                month = candidate;
            }
        }
        if (month == null) {
            return null;
        }
        try {
            int year = now.atZone(zone).getYear();
            LocalTime time = LocalTime.of(Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
            ZonedDateTime stamp = LocalDate.of(year, month, Integer.parseInt(m.group(2))).atTime(time).atZone(zone);
            // syslog lines carry no year: a time ahead of now is from last year
            return stamp.toInstant().isAfter(now.plusSeconds(86_400)) ? stamp.minusYears(1).toInstant() : stamp.toInstant();
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }
}
