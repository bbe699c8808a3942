package io.connectedregistry.e2e.support;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes manifests read strictly: YAML into fabric8's typed model (and into typed records
 * for the cert-manager Certificate and the kustomization, which that model lacks), any field the
 * type does not have refused.
 */
public final class KubernetesYaml {

  private KubernetesYaml() {}

  /**
   * fabric8's model with unknown fields refused: its classes take any field
   * they do not know into {@code additionalProperties} (a JSON "any setter"), which would make a
   * misspelt field pass; this mapper removes that setter from every bean, so
   * FAIL_ON_UNKNOWN_PROPERTIES applies.
   */
  public static final ObjectMapper STRICT = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      // The records here leave out what is not set, as fabric8's classes do.
      .serializationInclusion(JsonInclude.Include.NON_EMPTY)
      .addModule(new SimpleModule("no-additional-properties").setDeserializerModifier(
          new BeanDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config,
                BeanDescription description, BeanDeserializerBuilder builder) {
              builder.setAnySetter(null);
              return builder;
            }
          }))
      .build();

  /** The YAML reader (Jackson 2, as the registry reads its own files); duplicate keys refused. */
  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private static final Map<String, Class<?>> KINDS = Map.of(
      "v1/Namespace", Namespace.class,
      "v1/Secret", Secret.class,
      "v1/ConfigMap", ConfigMap.class,
      "v1/Service", Service.class,
      "apps/v1/StatefulSet", StatefulSet.class,
      "cert-manager.io/v1/Certificate", Certificate.class,
      "kustomize.config.k8s.io/v1beta1/Kustomization", Kustomization.class);

  /** The YAML file as a tree (one document per file). */
  public static JsonNode tree(Path file) {
    try {
      return YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** JSON text as a tree. */
  public static JsonNode json(String text) {
    try {
      return STRICT.readTree(text);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The typed object its apiVersion and kind name, read strictly; fails naming {@code where}. */
  public static Object parse(JsonNode tree, String where) {
    String kind = tree.path("apiVersion").asText("") + "/" + tree.path("kind").asText("");
    Class<?> type = KINDS.get(kind);
    if (type == null) {
      throw new AssertionError(where + ": unexpected kind " + kind);
    }
    try {
      return STRICT.treeToValue(tree, type);
    } catch (JsonProcessingException e) {
      throw new AssertionError(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code typed}, written back as JSON, says exactly what {@code tree} says: numbers
   * compared by value (the model's int64 fields come back as longs), and without the apiVersion
   * and kind the model fills in on nested objects.
   */
  public static boolean survivesRoundTrip(JsonNode tree, Object typed) {
    JsonNode back = withoutAddedTypes(tree, STRICT.valueToTree(typed));
    return tree.equals((x, y) -> x.isNumber() && y.isNumber()
        ? x.decimalValue().compareTo(y.decimalValue()) : x.equals(y) ? 0 : 1, back);
  }

  /**
   * The round trip without the apiVersion and kind fabric8 fills in on nested objects (a
   * volumeClaimTemplate is a PersistentVolumeClaim) where the file has none.
   */
  private static JsonNode withoutAddedTypes(JsonNode original, JsonNode back) {
    if (back.isObject()) {
      ObjectNode copy = ((ObjectNode) back).deepCopy();
      for (String type : List.of("apiVersion", "kind")) {
        if (!original.has(type)) {
          copy.remove(type);
        }
      }
      copy.fieldNames().forEachRemaining(name -> {
        if (original.has(name)) {
          copy.set(name, withoutAddedTypes(original.get(name), copy.get(name)));
        }
      });
      return copy;
    }
    if (back.isArray() && original.isArray() && back.size() == original.size()) {
      ArrayNode copy = STRICT.createArrayNode();
      for (int i = 0; i < back.size(); i++) {
        copy.add(withoutAddedTypes(original.get(i), back.get(i)));
      }
      return copy;
    }
    return back;
  }

  /** A cert-manager.io/v1 Certificate, with the fields this deployment may use. */
  public record Certificate(String apiVersion, String kind, ObjectMeta metadata, CertificateSpec spec) {

    private static final Set<String> USAGES = Set.of("signing", "digital signature", "content commitment",
        "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign",
        "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping",
        "ocsp signing", "microsoft sgc", "netscape sgc");
    private static final Pattern GO_DURATION = Pattern.compile("(\\d+h)?(\\d+m)?(\\d+s)?");

    /** What cert-manager's webhook would refuse; empty when nothing. */
    public List<String> problems() {
      List<String> problems = new ArrayList<>();
      CertificateSpec s = spec;
      if (s == null || s.secretName() == null || s.issuerRef() == null || s.issuerRef().name() == null) {
        return List.of("certificate.yaml: spec.secretName and spec.issuerRef.name are required");
      }
      Duration duration = goDuration("duration", s.duration(), problems);
      Duration renewBefore = goDuration("renewBefore", s.renewBefore(), problems);
      if (duration != null && renewBefore != null && renewBefore.compareTo(duration) >= 0) {
        problems.add("certificate.yaml: renewBefore " + s.renewBefore() + " must be shorter than duration");
      }
      if (s.dnsNames().isEmpty() && s.ipAddresses().isEmpty() && s.commonName() == null) {
        problems.add("certificate.yaml: needs dnsNames, ipAddresses or a commonName");
      }
      for (String usage : s.usages()) {
        if (!USAGES.contains(usage)) {
          problems.add("certificate.yaml: usage '" + usage + "' is not a cert-manager key usage");
        }
      }
      PrivateKey key = s.privateKey();
      if (key != null) {
        Map<String, Set<Integer>> sizes = Map.of("RSA", Set.of(2048, 3072, 4096), "ECDSA", Set.of(256, 384, 521),
            "Ed25519", Set.of());
        if (!sizes.containsKey(key.algorithm())) {
          problems.add("certificate.yaml: privateKey.algorithm " + key.algorithm() + " is not RSA, ECDSA or Ed25519");
        } else if (key.size() != null && !sizes.get(key.algorithm()).contains(key.size())) {
          problems.add("certificate.yaml: privateKey.size " + key.size() + " does not go with " + key.algorithm());
        }
        if (key.rotationPolicy() != null && !Set.of("Never", "Always").contains(key.rotationPolicy())) {
          problems.add("certificate.yaml: privateKey.rotationPolicy " + key.rotationPolicy() + " is not Never or Always");
        }
        if (key.encoding() != null && !Set.of("PKCS1", "PKCS8").contains(key.encoding())) {
          problems.add("certificate.yaml: privateKey.encoding " + key.encoding() + " is not PKCS1 or PKCS8");
        }
      }
      if (!Set.of("Issuer", "ClusterIssuer").contains(Objects.requireNonNullElse(s.issuerRef().kind(), "Issuer"))) {
        problems.add("certificate.yaml: issuerRef.kind " + s.issuerRef().kind() + " is not Issuer or ClusterIssuer");
      }
      return problems;
    }

    private static Duration goDuration(String field, String value, List<String> problems) {
      if (value == null) {
        return null;
      }
      Matcher m = GO_DURATION.matcher(value);
      if (value.isEmpty() || !m.matches()) {
        problems.add("certificate.yaml: " + field + " '" + value + "' is not a Go duration (e.g. 2160h)");
        return null;
      }
      return Duration.parse("PT" + value.toUpperCase(Locale.ROOT));
    }
  }

  public record CertificateSpec(String secretName, String duration, String renewBefore, String commonName,
      Boolean isCA, PrivateKey privateKey, List<String> usages, List<String> dnsNames,
      List<String> ipAddresses, IssuerRef issuerRef) {
    public CertificateSpec {
      usages = usages == null ? List.of() : usages;
      dnsNames = dnsNames == null ? List.of() : dnsNames;
      ipAddresses = ipAddresses == null ? List.of() : ipAddresses;
    }
  }

  public record PrivateKey(String algorithm, Integer size, String rotationPolicy, String encoding) {}

  public record IssuerRef(String name, String kind, String group) {}

  /** The kustomize.config.k8s.io/v1beta1 Kustomization fields this folder uses. */
  public record Kustomization(String apiVersion, String kind, String namespace, List<String> resources,
      List<KustomizeImage> images) {}

  public record KustomizeImage(String name, String newName, String newTag, String digest) {}
}
