package dev.aranya.api.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CRD manifest shipped in the bundle and the Java model describe the same resource, field by field. */
class EdgeDeviceCrdTest {
    private static CustomResourceDefinition crd;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = EdgeDevice.class.getResourceAsStream(EdgeDevice.CRD_RESOURCE)) {
            assertThat(in).as("CRD resource %s", EdgeDevice.CRD_RESOURCE).isNotNull();
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
    }

    @Test
    void namesMatchTheModelClass() {
        assertThat(crd.getMetadata().getName()).isEqualTo(EdgeDevice.CRD_NAME).isEqualTo(HasMetadata.getFullResourceName(EdgeDevice.class));
        assertThat(crd.getSpec().getGroup()).isEqualTo(HasMetadata.getGroup(EdgeDevice.class));
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo(HasMetadata.getKind(EdgeDevice.class));
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(HasMetadata.getPlural(EdgeDevice.class));
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("ed", "eds");
        CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
        assertThat(version.getName()).isEqualTo(HasMetadata.getVersion(EdgeDevice.class));
        assertThat(version.getSubresources().getStatus()).as("status subresource").isNotNull();
    }

    @Test
    void specSchemaHasExactlyTheModelsFields() {
        List<String> mismatches = new ArrayList<>();
        compare("spec", EdgeDeviceSpec.class, schema().getProperties().get("spec"), mismatches);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void statusSchemaHasExactlyTheModelsFields() {
        List<String> mismatches = new ArrayList<>();
        compare("status", EdgeDeviceStatus.class, schema().getProperties().get("status"), mismatches);
        assertThat(mismatches).isEmpty();
    }

    private static JSONSchemaProps schema() {
        return crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
    }

    /** Walks a record and its schema side by side; fabric8's own types (Taint, Condition) are taken as given. */
    private static void compare(String path, Class<?> type, JSONSchemaProps schema, List<String> mismatches) {
        if (schema == null) {
            mismatches.add(path + ": not in the CRD schema");
            return;
        }
        if (!type.isRecord()) {
            return;
        }
        Set<String> javaFields = new TreeSet<>();
        for (RecordComponent component : type.getRecordComponents()) {
            JsonProperty renamed = component.getAccessor().getAnnotation(JsonProperty.class);
            String name = renamed != null ? renamed.value() : component.getName();
            javaFields.add(name);
            JSONSchemaProps property = schema.getProperties().get(name);
            Type generic = component.getGenericType();
            if (generic instanceof ParameterizedType parameterized && parameterized.getRawType() == List.class) {
                Class<?> element = (Class<?>) parameterized.getActualTypeArguments()[0];
                compare(path + "." + name + "[]", element, property == null ? null : property.getItems().getSchema(), mismatches);
            } else if (generic instanceof ParameterizedType parameterized && parameterized.getRawType() == Map.class) {
                if (property == null || property.getAdditionalProperties() == null) {
                    mismatches.add(path + "." + name + ": not a map in the CRD schema");
                }
            } else if (component.getType() == LocalObjectReference.class) {
                if (property == null || !property.getRequired().contains("name")) {
                    mismatches.add(path + "." + name + ": not an object reference in the CRD schema");
                }
            } else {
                compare(path + "." + name, component.getType(), property, mismatches);
            }
        }
        Set<String> schemaFields = new TreeSet<>(schema.getProperties().keySet());
        schemaFields.removeAll(javaFields);
        schemaFields.forEach(extra -> mismatches.add(path + "." + extra + ": in the CRD schema but not in " + type.getSimpleName()));
    }
}
