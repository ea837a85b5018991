package dev.aranya.kubelet.internal;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** The apiserver's judgement on bearer tokens and on access, asked for each request a kubelet receives. */
interface AccessReviews {
    /** A TokenReview: the token's user, or empty if the apiserver does not authenticate it. */
    CompletionStage<Optional<KubeletUser>> reviewToken(String token);

    /** A SubjectAccessReview for the node's {@code nodes} resource. */
    CompletionStage<Decision> reviewAccess(KubeletUser user, String nodeName, RequestAttributes attributes);

    /** @param reason the authorizer's reason or error, for logs and the 403 message */
    record Decision(boolean allowed, String reason) {
    }
}
