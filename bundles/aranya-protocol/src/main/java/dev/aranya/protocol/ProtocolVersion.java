package dev.aranya.protocol;

import dev.aranya.protocol.v1.Hello;
import java.util.OptionalInt;

/**
 * Major versions of the Aranya-arhat protocol this library speaks, and the negotiation rule: the agent's Hello
 * names a range of major versions, Aranya picks the highest one both sides speak (docs/protocol.md,
 * "Versions and compatibility"). Minor evolution inside a major version needs no number: fields are only
 * added, receivers ignore what they do not know, and optional features are announced as capabilities.
 */
public final class ProtocolVersion {

    /** The major version this library implements and announces. */
    public static final int CURRENT = 1;

    /** The oldest major version this library still speaks. */
    public static final int MIN_SUPPORTED = 1;

    private ProtocolVersion() {
    }

    /** Whether this library speaks the given major version. */
    public static boolean isSupported(int version) {
        return version >= MIN_SUPPORTED && version <= CURRENT;
    }

    /**
     * The highest major version in both the peer's range {@code peerMin..peerMax} and ours, or empty if there
     * is none (answer {@code ERROR_CODE_UNSUPPORTED_VERSION}). A {@code peerMin} of 0 means "same as peerMax".
     */
    public static OptionalInt negotiate(int peerMin, int peerMax) {
        int min = peerMin == 0 ? peerMax : peerMin;
        if (min > peerMax) {
            return OptionalInt.empty();
        }
        int chosen = Math.min(CURRENT, peerMax);
        return chosen >= Math.max(MIN_SUPPORTED, min) ? OptionalInt.of(chosen) : OptionalInt.empty();
    }

    /** {@link #negotiate(int, int)} for the range a Hello announces. */
    public static OptionalInt negotiate(Hello hello) {
        return negotiate(hello.getMinProtocolVersion(), hello.getProtocolVersion());
    }
}
