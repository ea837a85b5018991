package dev.aranya.kubelet.internal;

import dev.aranya.protocol.v1.Attach;
import dev.aranya.protocol.v1.Exec;
import dev.aranya.protocol.v1.Frame;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;

/**
 * An exec or attach as the apiserver asks for it: {@code command} (repeated), {@code input}, {@code output},
 * {@code error} and {@code tty} ("1" or "true"); with a TTY there is no separate stderr.
 */
record RemoteCommandRequest(boolean attach, String container, List<String> command, boolean stdin, boolean stdout,
        boolean stderr, boolean tty) {

    static RemoteCommandRequest parse(KubeletPath path, QueryStringDecoder uri) {
        boolean attach = path.endpoint() == KubeletPath.Endpoint.ATTACH;
        List<String> command = uri.parameters().getOrDefault("command", List.of());
        boolean tty = flag(uri, "tty");
        RemoteCommandRequest request = new RemoteCommandRequest(attach, path.container(), command,
                flag(uri, "input"), flag(uri, "output"), flag(uri, "error") && !tty, tty);
        if (!request.stdin && !request.stdout && !request.stderr) {
            throw new IllegalArgumentException("you must specify at least 1 of stdin, stdout, stderr");
        }
        if (!attach && command.isEmpty()) {
            throw new IllegalArgumentException("command is required for exec");
        }
        return request;
    }

    static boolean flag(QueryStringDecoder uri, String name) {
        List<String> values = uri.parameters().get(name);
        if (values == null || values.isEmpty()) {
            return false;
        }
        String value = values.get(0);
        return value.equals("1") || value.equalsIgnoreCase("true");
    }

    Frame opening() {
        if (attach) {
            return Frame.newBuilder().setAttach(Attach.newBuilder().setContainer(container).setTty(tty)
                    .setStdin(stdin).setStdout(stdout).setStderr(stderr)).build();
        }
        return Frame.newBuilder().setExec(Exec.newBuilder().setContainer(container).addAllCommand(command)
                .setTty(tty).setStdin(stdin).setStdout(stdout).setStderr(stderr)).build();
    }

    /** For messages: "[sh -c exit 3]" or "attach". */
    String describe() {
        return attach ? "attach" : command.toString();
    }
}
