package dev.aranya.driver.modbus.internal;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

/**
 * A Modbus TCP client on one socket (MBAP header + PDU; function codes 1, 3, 4, 5, 6). Requests run one at a time.
 * Every reply is checked before it is used: transaction and unit id, protocol id 0, a length within the 253-byte
 * PDU limit, the function code, and a byte count that matches the request; anything else is an {@link IOException}
 * that says what was wrong, and the connection is dropped (the next request connects again).
 */
final class ModbusClient implements AutoCloseable {
    static final int READ_COILS = 1;
    static final int READ_HOLDING_REGISTERS = 3;
    static final int READ_INPUT_REGISTERS = 4;
    static final int WRITE_SINGLE_COIL = 5;
    static final int WRITE_SINGLE_REGISTER = 6;
    /** The largest PDU (Modbus Application Protocol 1.1b3, 4.1). */
    private static final int MAX_PDU = 253;

    private final InetSocketAddress address;
    private final int unitId;
    private final int timeoutMillis;
    private Socket socket;
    private DataInputStream in;
    private OutputStream out;
    private int transaction;

    ModbusClient(InetSocketAddress address, int unitId, int timeoutMillis) {
        this.address = address;
        this.unitId = unitId;
        this.timeoutMillis = timeoutMillis;
    }

    /** Connects now (the agent reports an unreachable peripheral at once). */
    synchronized void connect() throws IOException {
        if (socket == null) {
            Socket connecting = new Socket();
            try {
                connecting.connect(address, timeoutMillis);
                connecting.setSoTimeout(timeoutMillis);
                connecting.setTcpNoDelay(true);
            } catch (IOException e) {
                connecting.close();
                throw new IOException("cannot connect to Modbus server " + address.getHostString() + ":" + address.getPort()
                        + ": " + e.getMessage(), e);
            }
            socket = connecting;
            in = new DataInputStream(connecting.getInputStream());
            out = connecting.getOutputStream();
        }
    }

    /** Reads {@code count} coils (0/1 each) or registers (unsigned 16 bit) from {@code address}. */
    synchronized int[] read(int function, int address, int count) throws IOException {
        int limit = function == READ_COILS ? 2000 : 125;
        if (count < 1 || count > limit) {
            throw new IllegalArgumentException("count must be within 1.." + limit + ", was " + count);
        }
        ByteBuffer reply = exchange(function, address, count);
        int expectedBytes = function == READ_COILS ? (count + 7) / 8 : count * 2;
        int byteCount = reply.get() & 0xff;
        if (byteCount != expectedBytes || reply.remaining() != expectedBytes) {
            throw malformed("byte count " + byteCount + " with " + reply.remaining() + " data bytes, expected " + expectedBytes);
        }
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = function == READ_COILS ? (reply.get(reply.position() + i / 8) >> (i % 8)) & 1
                    : reply.getShort(reply.position() + 2 * i) & 0xffff;
        }
        return values;
    }

    /** Writes one coil (0 or 1) or one register (0..65535). */
    synchronized void write(int function, int address, int value) throws IOException {
        int wire = function == WRITE_SINGLE_COIL ? (value != 0 ? 0xFF00 : 0) : value;
        ByteBuffer reply = exchange(function, address, wire);
        if (reply.remaining() != 4 || (reply.getShort() & 0xffff) != address || (reply.getShort() & 0xffff) != wire) {
            throw malformed("the write was not echoed");
        }
    }

    /** Sends one request (function, two 16-bit fields) and returns the reply's PDU after its function code. */
    private ByteBuffer exchange(int function, int first, int second) throws IOException {
        if (first < 0 || first > 0xffff || second < 0 || second > 0xffff) {
            throw new IllegalArgumentException("address and value must be within 0..65535");
        }
        connect();
        transaction = (transaction + 1) & 0xffff;
        ByteBuffer request = ByteBuffer.allocate(12).putShort((short) transaction).putShort((short) 0).putShort((short) 6)
                .put((byte) unitId).put((byte) function).putShort((short) first).putShort((short) second);
        try {
            out.write(request.array());
            out.flush();
            return reply(function);
        } catch (IOException e) {
            close();
            throw e instanceof ModbusException ? e : new IOException("Modbus server " + address.getHostString() + ":"
                    + address.getPort() + ": " + (e instanceof EOFException ? "closed the connection" : e.getMessage()), e);
        }
    }

    private ByteBuffer reply(int function) throws IOException {
        int replyTransaction = in.readUnsignedShort();
        int protocol = in.readUnsignedShort();
        int length = in.readUnsignedShort();
        if (replyTransaction != transaction || protocol != 0) {
            throw malformed("transaction " + replyTransaction + " protocol " + protocol + ", expected " + transaction + " and 0");
        }
        if (length < 2 || length > MAX_PDU + 1) {
            throw malformed("length " + length + " outside 2.." + (MAX_PDU + 1));
        }
        byte[] body = new byte[length];
        in.readFully(body);
        ByteBuffer reply = ByteBuffer.wrap(body);
        int replyUnit = reply.get() & 0xff;
        int replyFunction = reply.get() & 0xff;
        if (replyUnit != unitId) {
            throw malformed("unit id " + replyUnit + ", expected " + unitId);
        }
        if (replyFunction == (function | 0x80)) {
            int code = reply.hasRemaining() ? reply.get() & 0xff : 0;
            throw new ModbusException("Modbus server refused function " + function + ": exception " + code + " ("
                    + exception(code) + ")");
        }
        if (replyFunction != function) {
            throw malformed("function " + replyFunction + ", expected " + function);
        }
        return reply;
    }

    private static String exception(int code) {
        return switch (code) {
            case 1 -> "illegal function";
            case 2 -> "illegal data address";
            case 3 -> "illegal data value";
            case 4 -> "server device failure";
            case 6 -> "server device busy";
            default -> "unknown exception code";
        };
    }

    private ModbusException malformed(String what) {
        return new ModbusException("malformed reply from Modbus server " + address.getHostString() + ":" + address.getPort()
                + ": " + what);
    }

    @Override
    public synchronized void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
        }
    }

    /** The server answered, but with an exception or a reply that breaks the protocol. */
    static final class ModbusException extends IOException {
        private static final long serialVersionUID = 1L;

        ModbusException(String message) {
            super(message);
        }
    }
}
