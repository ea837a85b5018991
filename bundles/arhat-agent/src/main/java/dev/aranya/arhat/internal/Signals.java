package dev.aranya.arhat.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.aranya.protocol.v1.Signal;

/** Sends POSIX signals to host processes (java.lang.Process knows only TERM and KILL). */
final class Signals {
    private Signals() {
    }

    private interface LibC extends Library {
        int kill(int pid, int signal);
    }

    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    /** The signal a {@code Cancel} asks for; unspecified means TERM. */
    static int number(Signal signal) {
        return switch (signal) {
            case SIGNAL_HUP -> 1;
            case SIGNAL_INT -> 2;
            case SIGNAL_QUIT -> 3;
            case SIGNAL_KILL -> 9;
            default -> 15;
        };
    }

    /** Signals the process and everything it started. */
    static void sendToTree(ProcessHandle process, int signal) {
        var descendants = process.descendants().toList();
        send(process, signal);
        descendants.forEach(child -> send(child, signal));
    }

    private static void send(ProcessHandle process, int signal) {
        if (process.isAlive()) {
            Holder.LIBC.kill((int) process.pid(), signal);
        }
    }
}
