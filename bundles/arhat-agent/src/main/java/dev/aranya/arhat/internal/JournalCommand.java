package dev.aranya.arhat.internal;

import dev.aranya.protocol.v1.Logs;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The journalctl command line of a logs request. */
final class JournalCommand {
    private JournalCommand() {
    }

    /**
     * @param since the oldest entry wanted, or null
     */
    static List<String> of(String unit, Logs request, Instant since) {
        List<String> argv = new ArrayList<>(List.of("journalctl", "--no-pager", "--quiet", "--output=short-iso-precise"));
        if (!unit.isEmpty()) {
            argv.add("--unit=" + unit);
        }
        if (request.getPrevious()) {
            argv.add("--boot=-1");
        }
        if (since != null) {
            argv.add("--since=@" + since.getEpochSecond());
        }
        // journalctl shows 10 lines when following unless told otherwise; kubectl logs -f shows all
        argv.add(request.hasTailLines() ? "--lines=" + request.getTailLines() : "--no-tail");
        if (request.getFollow()) {
            argv.add("--follow");
        }
        return argv;
    }
}
