package dev.aranya.session.internal;

import dev.aranya.protocol.v1.Attach;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import java.util.EnumSet;
import java.util.Set;

/** The channels an opening asks for, per direction (docs/protocol.md, "Streams", 3. Data). */
final class StreamChannels {
    private StreamChannels() {
    }

    /** Channels Aranya sends Data on. */
    static Set<Channel> fromAranya(Frame opening) {
        return switch (opening.getBodyCase()) {
            case EXEC -> stdin(opening.getExec().getStdin());
            case ATTACH -> stdin(opening.getAttach().getStdin());
            case PORT_FORWARD -> EnumSet.of(Channel.CHANNEL_PORT_DATA);
            default -> EnumSet.noneOf(Channel.class);
        };
    }

    /** Channels the agent sends Data on. */
    static Set<Channel> fromAgent(Frame opening) {
        return switch (opening.getBodyCase()) {
            case EXEC -> {
                Exec exec = opening.getExec();
                yield output(exec.getStdout(), exec.getStderr(), exec.getTty());
            }
            case ATTACH -> {
                Attach attach = opening.getAttach();
                yield output(attach.getStdout(), attach.getStderr(), attach.getTty());
            }
            case LOGS -> EnumSet.of(Channel.CHANNEL_STDOUT);
            case PORT_FORWARD -> EnumSet.of(Channel.CHANNEL_PORT_DATA);
            default -> EnumSet.noneOf(Channel.class);
        };
    }

    private static Set<Channel> stdin(boolean stdin) {
        return stdin ? EnumSet.of(Channel.CHANNEL_STDIN) : EnumSet.noneOf(Channel.class);
    }

    private static Set<Channel> output(boolean stdout, boolean stderr, boolean tty) {
        Set<Channel> channels = EnumSet.noneOf(Channel.class);
        if (stdout) {
            channels.add(Channel.CHANNEL_STDOUT);
        }
        // a terminal merges stderr into stdout
        if (stderr && !tty) {
            channels.add(Channel.CHANNEL_STDERR);
        }
        return channels;
    }
}
