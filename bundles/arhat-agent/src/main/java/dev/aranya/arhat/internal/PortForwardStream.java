package dev.aranya.arhat.internal;

import dev.aranya.api.agent.AgentStream;
import dev.aranya.protocol.v1.Cancel;
import dev.aranya.protocol.v1.Channel;
import dev.aranya.protocol.v1.ErrorCode;
import dev.aranya.protocol.v1.PortForward;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * Forwards one connection to a TCP port on the device's loopback: both directions are copied as the windows allow,
 * and each direction's end is passed on as a half close. The stream ends once both directions have ended.
 */
final class PortForwardStream extends HostStream {
    private final PortForward request;
    private final Object lock = new Object();
    private Socket socket;
    private boolean inputEnded;
    private boolean outputEnded;

    PortForwardStream(PortForward request, AgentStream stream, HostRuntime runtime) {
        super(stream, runtime);
        this.request = request;
    }

    @Override
    String describe() {
        return "port-forward to 127.0.0.1:" + request.getPort();
    }

    @Override
    void start() {
        int port = request.getPort();
        try {
            if (port < 1 || port > 65535) {
                throw new StreamRefused(ErrorCode.ERROR_CODE_BAD_REQUEST, "port " + port + " is outside 1..65535");
            }
            if (request.getProtocol() != PortForward.Protocol.PROTOCOL_TCP) {
                throw new StreamRefused(ErrorCode.ERROR_CODE_BAD_REQUEST, "only TCP port-forwarding is supported");
            }
            Socket connected = connect(port);
            synchronized (lock) {
                if (ended()) {
                    close(connected);
                    return;
                }
                socket = connected;
            }
        } catch (StreamRefused refused) {
            finish(StreamEnds.of(refused));
            return;
        }
        accepted();
        runtime.pool().execute(this::copyFromSocket);
    }

    private Socket connect(int port) throws StreamRefused {
        Socket connection = new Socket();
        try {
            connection.setTcpNoDelay(true);
            connection.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                    (int) runtime.settings().portConnectTimeout().toMillis());
            return connection;
        } catch (ConnectException e) {
            close(connection);
            throw new StreamRefused(ErrorCode.ERROR_CODE_NOT_FOUND,
                    "connection to 127.0.0.1:" + port + " on the device refused: nothing listens on port " + port);
        } catch (SocketTimeoutException e) {
            close(connection);
            throw new StreamRefused(ErrorCode.ERROR_CODE_TIMEOUT, "connecting to 127.0.0.1:" + port + " on the device timed out after "
                    + runtime.settings().portConnectTimeout().toSeconds() + " s");
        } catch (IOException e) {
            close(connection);
            throw new StreamRefused(ErrorCode.ERROR_CODE_INTERNAL, "connecting to 127.0.0.1:" + port + " failed: " + e.getMessage());
        }
    }

    private void copyFromSocket() {
        try {
            pump(socket.getInputStream(), Channel.CHANNEL_PORT_DATA);
            directionEnded(true, null);
        } catch (IOException e) {
            directionEnded(true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onData(Channel channel, ByteBuffer data) {
        byte[] bytes = copyOf(data);
        inbound.execute(() -> {
            try {
                if (!ended()) {
                    socket.getOutputStream().write(bytes);
                }
            } catch (IOException e) {
                directionEnded(false, e);
            } finally {
                stream.consumed(bytes.length);
            }
        });
    }

    @Override
    public void onHalfClose(Channel channel) {
        inbound.execute(() -> {
            try {
                if (!ended()) {
                    socket.shutdownOutput();
                }
                directionEnded(false, null);
            } catch (IOException e) {
                directionEnded(false, e);
            }
        });
    }

    /** One direction is done; an error ends the whole stream at once. */
    private void directionEnded(boolean fromSocket, IOException error) {
        boolean both;
        synchronized (lock) {
            if (fromSocket) {
                inputEnded = true;
            } else {
                outputEnded = true;
            }
            both = inputEnded && outputEnded;
        }
        if (error != null) {
            finish(StreamEnds.error(ErrorCode.ERROR_CODE_INTERNAL,
                    "connection to 127.0.0.1:" + request.getPort() + " failed: " + error.getMessage()));
        } else if (!both) {
            return;
        } else {
            finish(StreamEnds.ok());
        }
        closeSocket();
    }

    @Override
    public void onCancel(Cancel cancel) {
        finish(StreamEnds.error(ErrorCode.ERROR_CODE_CANCELLED, "cancelled"));
        closeSocket();
    }

    @Override
    void stopOnConnectionLost() {
        closeSocket();
    }

    private void closeSocket() {
        synchronized (lock) {
            if (socket != null) {
                close(socket);
            }
        }
    }

    private static void close(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all that is left to do
        }
    }
}
