package dev.aranya.api.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Settings of the pods on the device's Node.
 *
 * @param allocatable how many pods besides the virtual pod the Node takes (its {@code pods} capacity is one
 *                    more); 0 or unset means the configured default
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record PodSpec(Integer allocatable) {
}
