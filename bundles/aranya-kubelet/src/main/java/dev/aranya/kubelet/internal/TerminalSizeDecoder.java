package dev.aranya.kubelet.internal;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the resize stream: a sequence of JSON objects {@code {"Width":80,"Height":24}}, split anywhere across
 * frames. An object that is not a size is skipped; one that grows beyond a few KiB is dropped.
 */
final class TerminalSizeDecoder {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int MAX_OBJECT = 4096;

    record Size(int cols, int rows) {
    }

    private final ByteArrayOutputStream object = new ByteArrayOutputStream();
    private int depth;

    List<Size> feed(ByteBuf data) {
        List<Size> sizes = new ArrayList<>();
        while (data.isReadable()) {
            byte b = data.readByte();
            if (depth == 0 && b != '{') {
                continue;
            }
            object.write(b);
            if (b == '{') {
                depth++;
            } else if (b == '}' && --depth == 0) {
                parse(sizes);
                object.reset();
            }
            if (object.size() > MAX_OBJECT) {
                object.reset();
                depth = 0;
            }
        }
        return sizes;
    }

    private void parse(List<Size> sizes) {
        try {
            JsonNode node = JSON.readTree(object.toByteArray());
            int cols = node.path("Width").asInt(0);
            int rows = node.path("Height").asInt(0);
            if (cols > 0 && rows > 0) {
                sizes.add(new Size(cols, rows));
            }
        } catch (JacksonException notJson) {
            // skipped: the next object may be fine
        }
    }
}
