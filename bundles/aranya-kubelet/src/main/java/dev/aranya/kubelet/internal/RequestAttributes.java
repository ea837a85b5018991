package dev.aranya.kubelet.internal;

import io.netty.handler.codec.http.HttpMethod;

/**
 * What a kubelet request asks for in the terms of a SubjectAccessReview on {@code nodes}: the verb from the HTTP
 * method and the subresource from the path, as a kubelet maps them ({@code stats}, {@code metrics}, {@code log},
 * {@code spec}; everything else, exec and port-forward included, is {@code proxy}).
 */
record RequestAttributes(String verb, String subresource) {

    static RequestAttributes of(HttpMethod method, String path) {
        return new RequestAttributes(verb(method), subresource(path));
    }

    private static String verb(HttpMethod method) {
        return switch (method.name()) {
            case "POST" -> "create";
            case "GET", "HEAD" -> "get";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "";
        };
    }

    private static String subresource(String path) {
        if (isSubpath(path, "/stats")) {
            return "stats";
        }
        if (isSubpath(path, "/metrics")) {
            return "metrics";
        }
        if (isSubpath(path, "/logs")) {
            return "log";
        }
        if (isSubpath(path, "/spec")) {
            return "spec";
        }
        return "proxy";
    }

    private static boolean isSubpath(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
