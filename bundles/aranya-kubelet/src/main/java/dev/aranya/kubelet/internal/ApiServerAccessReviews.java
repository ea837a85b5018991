package dev.aranya.kubelet.internal;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * TokenReviews and SubjectAccessReviews posted to the apiserver asynchronously through the fabric8 client's HTTP
 * client (the authentication and authorization model classes are not in the fabric8 bundle, and these two calls
 * need none of the client's machinery).
 */
final class ApiServerAccessReviews implements AccessReviews {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http;
    private final String apiserver;

    ApiServerAccessReviews(KubernetesClient client) {
        this.http = client.getHttpClient();
        String url = client.getMasterUrl().toString();
        this.apiserver = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public CompletionStage<Optional<KubeletUser>> reviewToken(String token) {
        ObjectNode review = JSON.createObjectNode()
                .put("apiVersion", "authentication.k8s.io/v1").put("kind", "TokenReview");
        review.putObject("spec").put("token", token);
        return post("/apis/authentication.k8s.io/v1/tokenreviews", review).thenApply(status -> {
            if (!status.path("authenticated").asBoolean(false)) {
                return Optional.empty();
            }
            JsonNode user = status.path("user");
            List<String> groups = strings(user.path("groups"));
            Map<String, List<String>> extra = new LinkedHashMap<>();
            user.path("extra").properties().forEach(e -> extra.put(e.getKey(), strings(e.getValue())));
            return Optional.of(new KubeletUser(user.path("username").asString(""), user.path("uid").asString(""),
                    groups, extra));
        });
    }

    @Override
    public CompletionStage<Decision> reviewAccess(KubeletUser user, String nodeName, RequestAttributes attributes) {
        ObjectNode review = JSON.createObjectNode()
                .put("apiVersion", "authorization.k8s.io/v1").put("kind", "SubjectAccessReview");
        ObjectNode spec = review.putObject("spec").put("user", user.name());
        if (!user.uid().isEmpty()) {
            spec.put("uid", user.uid());
        }
        user.groups().forEach(spec.withArray("groups")::add);
        if (!user.extra().isEmpty()) {
            ObjectNode extra = spec.putObject("extra");
            user.extra().forEach((key, values) -> values.forEach(extra.withArray(key)::add));
        }
        spec.putObject("resourceAttributes").put("verb", attributes.verb()).put("version", "v1")
                .put("resource", "nodes").put("subresource", attributes.subresource()).put("name", nodeName);
        return post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review).thenApply(status -> {
            boolean allowed = status.path("allowed").asBoolean(false) && !status.path("denied").asBoolean(false);
            String reason = status.path("reason").asString("");
            String error = status.path("evaluationError").asString("");
            return new Decision(allowed, error.isEmpty() ? reason : (reason.isEmpty() ? error : reason + "; " + error));
        });
    }

    private CompletionStage<JsonNode> post(String path, ObjectNode body) {
        HttpRequest request = http.newHttpRequestBuilder().uri(apiserver + path)
                .post("application/json", JSON.writeValueAsString(body)).build();
        return http.sendAsync(request, String.class).thenApply(response -> status(path, response));
    }

    private static JsonNode status(String path, HttpResponse<String> response) {
        if (response.code() != 201 && response.code() != 200) {
            throw new IllegalStateException("POST " + path + " answered HTTP " + response.code());
        }
        return JSON.readTree(response.body()).path("status");
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.values().forEach(value -> values.add(value.asString()));
        return values;
    }
}
