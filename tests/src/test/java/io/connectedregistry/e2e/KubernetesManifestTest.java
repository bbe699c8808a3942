package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.KubernetesYaml.STRICT;
import static io.connectedregistry.e2e.support.KubernetesYaml.parse;
import static io.connectedregistry.e2e.support.KubernetesYaml.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigView;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.e2e.support.KubernetesYaml.Certificate;
import io.connectedregistry.e2e.support.KubernetesYaml.CertificateSpec;
import io.connectedregistry.e2e.support.KubernetesYaml.IssuerRef;
import io.connectedregistry.e2e.support.KubernetesYaml.Kustomization;
import io.connectedregistry.e2e.support.KubernetesYaml.PrivateKey;
import io.connectedregistry.e2e.support.KubernetesYaml;
import io.connectedregistry.e2e.support.Repository;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests in {@code deploy/kubernetes/}: each parses STRICTLY into fabric8's
 * Kubernetes model (a field the model does not have fails, where fabric8 alone would keep it in
 * {@code additionalProperties}), the cert-manager Certificate and the kustomization into typed
 * records of their own, just as strictly. Then the registry's container is checked against the
 * code and the image: its environment and the ConfigMap's configuration file go through the real
 * configuration loader (an unknown key or an unread variable fails), with every volume's files
 * laid out as the kubelet would mount them, so the data, configuration and TLS paths must be
 * where the mounts put them; the port and probes must be the ones the registry serves; the user,
 * port and data folder must be the image's ({@code Dockerfile.amd64}), its JVM settings kept. The
 * {@code ...IsRefused} tests show that each check can fail.
 */
class KubernetesManifestTest {

  private static final String FOLDER = "deploy/kubernetes";
  private static final String DATA = "/var/acr/data";

  @TempDir Path containerRoot;

  // --- strict parsing -------------------------------------------------------------------------

  @Test
  void everyManifestParsesStrictlyIntoItsTypedModelAndBackUnchanged() {
    List<Path> files = yamlFiles();
    assertTrue(files.size() >= 7, files::toString);
    for (Path file : files) {
      JsonNode tree = tree(file);
      Object typed = parse(tree, file.toString());
      // Back to JSON, the typed object says exactly what the file says: nothing dropped, nothing
      // coerced (replicas: "1" would come back as 1).
      assertTrue(KubernetesYaml.survivesRoundTrip(tree, typed),
          () -> file + " does not survive the model unchanged:\n" + tree + "\n" + STRICT.valueToTree(typed));
    }
  }

  @Test
  void aMisspeltFieldIsRefused() throws Exception {
    ObjectNode tree = (ObjectNode) tree(file("statefulset.yaml"));
    ObjectNode container = (ObjectNode) tree.at("/spec/template/spec/containers/0");
    container.set("readynessProbe", container.remove("readinessProbe"));

    UnrecognizedPropertyException e =
        assertThrows(UnrecognizedPropertyException.class, () -> STRICT.treeToValue(tree, StatefulSet.class));

    assertEquals("readynessProbe", e.getPropertyName());
    // What this mapper is for: fabric8 alone, even with FAIL_ON_UNKNOWN_PROPERTIES, keeps the typo.
    StatefulSet lenient = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build().treeToValue(tree, StatefulSet.class);
    assertTrue(lenient.getSpec().getTemplate().getSpec().getContainers().get(0)
        .getAdditionalProperties().containsKey("readynessProbe"));
  }

  @Test
  void aMisplacedFieldIsRefused() {
    ObjectNode tree = (ObjectNode) tree(file("statefulset.yaml"));
    // readOnlyRootFilesystem belongs to the container's securityContext, not the pod's.
    ((ObjectNode) tree.at("/spec/template/spec/securityContext")).put("readOnlyRootFilesystem", true);

    UnrecognizedPropertyException e =
        assertThrows(UnrecognizedPropertyException.class, () -> STRICT.treeToValue(tree, StatefulSet.class));

    assertEquals("readOnlyRootFilesystem", e.getPropertyName());
  }

  @Test
  void aValueOfTheWrongTypeIsRefused() {
    ObjectNode tree = (ObjectNode) tree(file("statefulset.yaml"));
    ((ObjectNode) tree.at("/spec")).put("replicas", "one");

    assertThrows(JacksonException.class, () -> STRICT.treeToValue(tree, StatefulSet.class));
  }

  @Test
  void aMisspeltCertificateOrKustomizationFieldIsRefused() {
    ObjectNode certificate = (ObjectNode) tree(file("certificate.yaml"));
    ((ObjectNode) certificate.at("/spec")).set("dnsName", certificate.at("/spec/dnsNames"));
    ObjectNode kustomization = (ObjectNode) tree(file("kustomization.yaml"));
    kustomization.put("namePrefx", "edge-");

    UnrecognizedPropertyException c =
        assertThrows(UnrecognizedPropertyException.class, () -> STRICT.treeToValue(certificate, Certificate.class));
    UnrecognizedPropertyException k = assertThrows(UnrecognizedPropertyException.class,
        () -> STRICT.treeToValue(kustomization, Kustomization.class));

    assertEquals("dnsName", c.getPropertyName());
    assertEquals("namePrefx", k.getPropertyName());
  }

  @Test
  void aCertificateOutsideCertManagersRulesIsRefused() throws Exception {
    Certificate certificate = STRICT.treeToValue(tree(file("certificate.yaml")), Certificate.class);
    CertificateSpec s = certificate.spec();
    Certificate bad = new Certificate(certificate.apiVersion(), certificate.kind(), certificate.metadata(),
        new CertificateSpec(s.secretName(), "2160h", "2400h", s.commonName(), s.isCA(),
            new PrivateKey("ECDSA", 2048, "Sometimes", null), List.of("server auth", "web server"),
            s.dnsNames(), s.ipAddresses(), new IssuerRef(s.issuerRef().name(), "Authority", null)));
    Certificate days = new Certificate(certificate.apiVersion(), certificate.kind(), certificate.metadata(),
        new CertificateSpec(s.secretName(), "90d", null, s.commonName(), s.isCA(), s.privateKey(),
            s.usages(), s.dnsNames(), s.ipAddresses(), s.issuerRef()));

    List<String> problems = new ArrayList<>(bad.problems());
    problems.addAll(days.problems());

    assertEquals(List.of(), certificate.problems());
    for (String expected : List.of("'90d' is not a Go duration", "renewBefore 2400h", "privateKey.size",
        "rotationPolicy", "web server", "issuerRef.kind")) {
      assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), expected + ": " + problems);
    }
  }

  @Test
  void theKustomizationListsEveryManifestButTheOptionalCertificate() throws Exception {
    Kustomization k = STRICT.treeToValue(tree(file("kustomization.yaml")), Kustomization.class);
    List<String> expected = yamlFiles().stream().map(p -> p.getFileName().toString())
        .filter(n -> !n.equals("kustomization.yaml") && !n.equals("certificate.yaml")).sorted().toList();

    assertEquals(expected, k.resources().stream().sorted().toList());
    assertEquals("connected-registry", k.namespace());
    assertTrue(readString(file("kustomization.yaml")).contains("# - certificate.yaml"),
        "the optional certificate is named (commented out) in the kustomization");
  }

  // --- against the code and the image ---------------------------------------------------------

  @Test
  void theRegistryContainerIsWhatTheCodeAndTheImageRead() {
    assertEquals(List.of(), problems(Manifests.read()));
  }

  @Test
  void theManifestsSetWhatTheyShould() {
    Manifests m = Manifests.read();
    RegistryConfig config = load(m, new ArrayList<>()).config();

    assertEquals(1, m.statefulSet().getSpec().getReplicas());
    assertTrue(config.parent() != null && config.parent().endpoint().endsWith(".data.azurecr.io"),
        String.valueOf(config.parent()));
    assertEquals(Duration.ofSeconds(10), config.configWatchInterval());
    assertTrue(m.secret().getStringData().get(ConfigLoader.CONNECTION_STRING).contains("REPLACE_WITH_"),
        "the Secret holds a placeholder, never a real password");
    assertEquals("restricted", m.namespace().getMetadata().getLabels().get("pod-security.kubernetes.io/enforce"));
  }

  @Test
  void anUnknownConfigurationKeyIsRefused() {
    Manifests m = Manifests.read();
    m.configMap().getData().compute("config.yaml", (k, v) -> v.replace("onDemand:", "ondemand:"));

    List<String> problems = problems(m);

    assertTrue(problems.stream().anyMatch(p -> p.contains("unknown configuration key 'sync.ondemand'")),
        problems::toString);
  }

  @Test
  void anEnvironmentVariableTheCodeDoesNotReadIsRefused() {
    Manifests m = Manifests.read();
    m.container().getEnv().add(new EnvVar("REGISTRY_LISTEN_PORT", "9090", null));

    List<String> problems = problems(m);

    assertTrue(problems.stream().anyMatch(p -> p.contains("REGISTRY_LISTEN_PORT")), problems::toString);
  }

  @Test
  void pathsThatAreNotWhereTheMountsPutThemAreRefused() {
    Manifests data = Manifests.read();
    mount(data, "data").setMountPath("/data");
    Manifests tls = Manifests.read();
    mount(tls, "tls").setMountPath("/etc/tls");
    Manifests config = Manifests.read();
    mount(config, "config").setSubPath("config.yaml");

    List<String> problems = new ArrayList<>(problems(data));
    problems.addAll(problems(tls));
    problems.addAll(problems(config));

    assertTrue(problems.stream().anyMatch(p -> p.startsWith("data: ") && p.contains(DATA)), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("tls.certificate: ")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("subPath")), problems::toString);
  }

  @Test
  void aPortOrProbeTheRegistryDoesNotServeIsRefused() {
    Manifests m = Manifests.read();
    m.container().getPorts().get(0).setContainerPort(5000);
    m.container().getLivenessProbe().getHttpGet().setPath("/health");
    m.container().getReadinessProbe().getHttpGet().setScheme("HTTP");
    m.service().getSpec().getPorts().get(0).setTargetPort(new IntOrString("http"));

    List<String> problems = problems(m);

    for (String expected : List.of("containerPort", "/health", "HTTP", "targetPort")) {
      assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), expected + ": " + problems);
    }
  }

  @Test
  void aLooserSecurityContextIsRefused() {
    Manifests m = Manifests.read();
    m.statefulSet().getSpec().getTemplate().getSpec().getSecurityContext().setRunAsUser(0L);
    SecurityContext c = m.container().getSecurityContext();
    c.setReadOnlyRootFilesystem(false);
    c.setAllowPrivilegeEscalation(true);
    c.getCapabilities().setDrop(List.of("NET_RAW"));
    m.statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("tls")).findFirst().orElseThrow().getSecret().setDefaultMode(0644);
    m.statefulSet().getSpec().getTemplate().getSpec().getVolumes().removeIf(v -> v.getName().equals("tmp"));
    m.container().getVolumeMounts().removeIf(v -> v.getName().equals("tmp"));

    List<String> problems = problems(m);

    for (String expected : List.of("runAsUser", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
        "drop", "/tmp", "defaultMode 644")) {
      assertTrue(problems.stream().anyMatch(p -> p.contains(expected)), expected + ": " + problems);
    }
  }

  @Test
  void resourcesTooSmallForTheJvmOrACommandThatDropsItsSettingsAreRefused() {
    Manifests m = Manifests.read();
    m.container().getResources().getLimits().put("memory", new Quantity("128Mi"));
    m.container().setCommand(List.of("java", "-jar", "/opt/connected-registry/connected-registry.jar"));

    List<String> problems = problems(m);

    assertTrue(problems.stream().anyMatch(p -> p.contains("memory")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("command")), problems::toString);
  }

  @Test
  void aCertificateForAnotherSecretOrAddressIsRefused() {
    Manifests m = Manifests.read();
    m.service().getSpec().setClusterIP("10.43.0.50");
    m.statefulSet().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("tls")).findFirst().orElseThrow().getSecret().setSecretName("other-tls");

    List<String> problems = problems(m);

    assertTrue(problems.stream().anyMatch(p -> p.contains("10.43.0.50")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("other-tls")), problems::toString);
  }

  // --- checks -----------------------------------------------------------------------------------

  /** What is wrong with the registry's part of the manifests; empty when nothing is. */
  private List<String> problems(Manifests m) {
    List<String> problems = new ArrayList<>();
    Image image = Image.read();
    problems.addAll(workloadProblems(m, image));
    ConfigLayers.Built built;
    try {
      // The configuration, loaded as the container would load it.
      built = load(m, problems);
    } catch (ConfigException e) {
      problems.addAll(e.problems());
      return problems;
    }
    problems.addAll(unreadVariables(m));
    problems.addAll(pathProblems(m, built.config(), image));
    problems.addAll(networkProblems(m, built.config(), image));
    problems.addAll(tlsProblems(m, built.config()));
    return problems;
  }

  private static List<String> workloadProblems(Manifests m, Image image) {
    List<String> problems = new ArrayList<>();
    PodSpec pod = m.statefulSet().getSpec().getTemplate().getSpec();
    Container c = m.container();
    // The workload: one writer, its own volume, the Service in front of it.
    if (!Objects.equals(1, m.statefulSet().getSpec().getReplicas())) {
      problems.add("replicas: must be 1 (the store has one writer)");
    }
    if (!m.service().getMetadata().getName().equals(m.statefulSet().getSpec().getServiceName())) {
      problems.add("serviceName: " + m.statefulSet().getSpec().getServiceName() + " is not the Service");
    }
    Map<String, String> labels = m.statefulSet().getSpec().getTemplate().getMetadata().getLabels();
    if (!labels.entrySet().containsAll(m.service().getSpec().getSelector().entrySet())
        || !labels.entrySet().containsAll(m.statefulSet().getSpec().getSelector().getMatchLabels().entrySet())) {
      problems.add("selector: the Service or the StatefulSet does not select the pod's labels " + labels);
    }

    // The image: its entrypoint (the launcher, with the small-device JVM settings) runs as it is.
    if (c.getCommand() != null && !c.getCommand().isEmpty()) {
      problems.add("command: replaces the image's entrypoint, whose launcher runs java with the "
          + image.jvmOptions() + " JVM settings");
    }
    if (c.getArgs() != null && !c.getArgs().isEmpty()) {
      problems.add("args: none expected (the configuration comes from REGISTRY_CONFIG): " + c.getArgs());
    }
    problems.addAll(securityProblems(pod, c, image));
    problems.addAll(resourceProblems(c));

    String tag = m.kustomization().images().get(0).newTag();
    if (!c.getImage().startsWith(m.kustomization().images().get(0).name() + ":")
        || !tag.startsWith(image.version() + "-")) {
      problems.add("image: " + c.getImage() + " / kustomization newTag " + tag + " is not version "
          + image.version() + " of the image");
    }
    return problems;
  }

  /** The data folder and the configuration file, where the mounts put them. */
  private List<String> pathProblems(Manifests m, RegistryConfig config, Image image) {
    List<String> problems = new ArrayList<>();
    PodSpec pod = m.statefulSet().getSpec().getTemplate().getSpec();
    Container c = m.container();
    // Data: the image's volume, on the claim template's volume.
    VolumeMount data = mountOf(c, unrooted(config.data()));
    if (!image.volume().equals(DATA) || !Objects.equals(image.environment().get("REGISTRY_DATA"), DATA)) {
      problems.add("Dockerfile.amd64: VOLUME and REGISTRY_DATA must be " + DATA);
    }
    if (data == null || !data.getMountPath().equals(DATA) || !config.data().equals(rooted(DATA))
        || m.statefulSet().getSpec().getVolumeClaimTemplates().stream()
            .noneMatch(t -> t.getMetadata().getName().equals(data.getName()))) {
      problems.add("data: the registry stores under " + unrooted(config.data()) + "; it must be " + DATA
          + " on a volume of the volumeClaimTemplates");
    }

    // The configuration file: inside the ConfigMap's folder mount.
    String file = m.environment().get("REGISTRY_CONFIG");
    VolumeMount configMount = file == null ? null : mountOf(c, file);
    if (configMount == null || volume(pod, configMount.getName()).getConfigMap() == null) {
      problems.add("REGISTRY_CONFIG: " + file + " is not a file of a mounted ConfigMap");
    } else if (configMount.getSubPath() != null) {
      problems.add("volumeMounts " + configMount.getName() + ": no subPath (a subPath mount never sees"
          + " the ConfigMap change)");
    }

    return problems;
  }

  /** The port the registry listens on, its probes and the Service in front. */
  private static List<String> networkProblems(Manifests m, RegistryConfig config, Image image) {
    List<String> problems = new ArrayList<>();
    Container c = m.container();
    // Port, probes, Service.
    int port = config.listen().port();
    ContainerPort declared = c.getPorts().isEmpty() ? null : c.getPorts().get(0);
    if (declared == null || c.getPorts().size() != 1 || declared.getContainerPort() != port
        || port != image.exposedPort()) {
      problems.add("containerPort: " + (declared == null ? "none" : declared.getContainerPort())
          + "; the registry listens on " + config.listen() + " and the image exposes " + image.exposedPort());
    }
    if (config.listen().isLoopback()) {
      problems.add("listen: " + config.listen() + " is reachable from inside the container only");
    }
    String scheme = config.tls() == null ? "HTTP" : "HTTPS";
    problems.addAll(probeProblems("livenessProbe", c.getLivenessProbe(), "/healthz", scheme, declared));
    problems.addAll(probeProblems("readinessProbe", c.getReadinessProbe(), "/readyz", scheme, declared));
    if (c.getStartupProbe() != null) {
      problems.addAll(probeProblems("startupProbe", c.getStartupProbe(), "/healthz", scheme, declared));
    }
    for (ServicePort sp : m.service().getSpec().getPorts()) {
      if (!refersTo(sp.getTargetPort(), declared)) {
        problems.add("Service targetPort " + sp.getTargetPort() + " is not the container's port");
      }
      if (config.tls() != null && (sp.getPort() != 443 || !"https".equals(sp.getName()))) {
        problems.add("Service port: the registry serves HTTPS; expected 443 named https, not "
            + sp.getPort() + " " + sp.getName());
      }
    }

    return problems;
  }

  /** TLS files from the mounted TLS Secret, the one the Certificate writes, for the Service's names. */
  private List<String> tlsProblems(Manifests m, RegistryConfig config) {
    List<String> problems = new ArrayList<>();
    PodSpec pod = m.statefulSet().getSpec().getTemplate().getSpec();
    // TLS: the files from the TLS Secret, which the Certificate (if used) writes.
    if (config.tls() != null) {
      problems.addAll(tlsFileProblems("tls.certificate", config.tls().certificate(), "tls.crt", m));
      problems.addAll(tlsFileProblems("tls.key", config.tls().key(), "tls.key", m));
    }
    problems.addAll(m.certificate().problems());
    Set<String> secretsMounted = new TreeSet<>();
    pod.getVolumes().stream().filter(v -> v.getSecret() != null).forEach(v -> secretsMounted.add(v.getSecret().getSecretName()));
    if (!secretsMounted.contains(m.certificate().spec().secretName())) {
      problems.add("certificate.yaml: writes Secret " + m.certificate().spec().secretName()
          + ", the pod mounts " + secretsMounted);
    }
    String namespace = m.kustomization().namespace();
    String service = m.service().getMetadata().getName();
    for (String name : List.of(service + "." + namespace + ".svc", service + "." + namespace + ".svc.cluster.local")) {
      if (!m.certificate().spec().dnsNames().contains(name)) {
        problems.add("certificate.yaml: dnsNames lacks " + name);
      }
    }
    String clusterIp = m.service().getSpec().getClusterIP();
    if (clusterIp == null || !m.certificate().spec().ipAddresses().contains(clusterIp)) {
      problems.add("certificate.yaml: ipAddresses " + m.certificate().spec().ipAddresses()
          + " lacks the Service's pinned clusterIP " + clusterIp + " (the address the nodes pull from)");
    }
    return problems;
  }

  private static List<String> securityProblems(PodSpec pod, Container c, Image image) {
    List<String> problems = new ArrayList<>();
    PodSecurityContext p = pod.getSecurityContext();
    SecurityContext s = c.getSecurityContext();
    if (p == null || s == null) {
      return List.of("securityContext: missing on the pod or the container");
    }
    long uid = Objects.requireNonNullElse(s.getRunAsUser(), Objects.requireNonNullElse(p.getRunAsUser(), -1L));
    long gid = Objects.requireNonNullElse(s.getRunAsGroup(), Objects.requireNonNullElse(p.getRunAsGroup(), -1L));
    if (uid != image.uid() || !Objects.equals(p.getRunAsUser(), image.uid())) {
      problems.add("runAsUser: " + p.getRunAsUser() + "/" + s.getRunAsUser() + ", the image's user is " + image.uid());
    }
    if (gid != image.gid() || !Objects.equals(p.getFsGroup(), image.gid())) {
      problems.add("runAsGroup/fsGroup: " + gid + "/" + p.getFsGroup() + ", the image's group is " + image.gid()
          + " (fsGroup makes a new volume writable by it)");
    }
    if (!Boolean.TRUE.equals(p.getRunAsNonRoot()) || !Boolean.TRUE.equals(s.getRunAsNonRoot())) {
      problems.add("runAsNonRoot: must be true");
    }
    if (!Boolean.TRUE.equals(s.getReadOnlyRootFilesystem())) {
      problems.add("readOnlyRootFilesystem: must be true");
    }
    if (!Boolean.FALSE.equals(s.getAllowPrivilegeEscalation())) {
      problems.add("allowPrivilegeEscalation: must be false");
    }
    if (Boolean.TRUE.equals(s.getPrivileged())) {
      problems.add("privileged: must not be true");
    }
    if (s.getCapabilities() == null || !List.of("ALL").equals(s.getCapabilities().getDrop())
        || (s.getCapabilities().getAdd() != null && !s.getCapabilities().getAdd().isEmpty())) {
      problems.add("capabilities: drop must be [ALL] and nothing added");
    }
    String seccomp = s.getSeccompProfile() != null ? s.getSeccompProfile().getType()
        : p.getSeccompProfile() != null ? p.getSeccompProfile().getType() : null;
    if (!"RuntimeDefault".equals(seccomp)) {
      problems.add("seccompProfile: RuntimeDefault expected, not " + seccomp);
    }
    // With a read-only root, the JVM and SQLite's native library loader write to java.io.tmpdir.
    VolumeMount tmp = c.getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/tmp")).findFirst().orElse(null);
    if (tmp == null || volume(pod, tmp.getName()) == null || volume(pod, tmp.getName()).getEmptyDir() == null) {
      problems.add("/tmp: a read-only root needs an emptyDir there (SQLite unpacks its native library"
          + " into java.io.tmpdir)");
    }
    // The TLS key: readable by the registry's group (fsGroup), by no other user.
    for (Volume v : pod.getVolumes()) {
      if (v.getSecret() != null && (v.getSecret().getDefaultMode() == null || (v.getSecret().getDefaultMode() & 07) != 0)) {
        problems.add("volume " + v.getName() + ": Secret files readable by other users (defaultMode "
            + (v.getSecret().getDefaultMode() == null ? "0644" : Integer.toOctalString(v.getSecret().getDefaultMode()))
            + "); 0440 with fsGroup");
      }
    }
    if (!Boolean.FALSE.equals(pod.getAutomountServiceAccountToken())) {
      problems.add("automountServiceAccountToken: false (the registry never calls the Kubernetes API)");
    }
    return problems;
  }

  /**
   * Requests no larger than limits, and a memory limit the JVM's bounded pools (heap, metaspace,
   * code cache, direct memory in small-device.jvmopts) fit under with 64 MiB for the rest.
   */
  private static List<String> resourceProblems(Container c) {
    List<String> problems = new ArrayList<>();
    var resources = c.getResources();
    if (resources == null || resources.getLimits() == null || resources.getRequests() == null) {
      return List.of("resources: requests and limits are required");
    }
    for (String r : List.of("cpu", "memory")) {
      Quantity request = resources.getRequests().get(r);
      Quantity limit = resources.getLimits().get(r);
      if (request == null || limit == null || request.compareTo(limit) > 0) {
        problems.add("resources " + r + ": request " + request + " must be set and within limit " + limit);
      }
    }
    Quantity cpu = resources.getRequests().get("cpu");
    if (cpu != null && cpu.compareTo(new Quantity("250m")) > 0) {
      problems.add("resources cpu: request " + cpu + " is more than a small node spares (250m)");
    }
    long jvm = 0;
    for (String option : List.of("-Xmx", "-XX:MaxMetaspaceSize=", "-XX:ReservedCodeCacheSize=",
        "-XX:MaxDirectMemorySize=")) {
      jvm += Image.jvmBytes(option);
    }
    long needed = jvm + (64L << 20);
    Quantity memory = resources.getLimits().get("memory");
    if (memory == null || Quantity.getAmountInBytes(memory).compareTo(BigDecimal.valueOf(needed)) < 0) {
      problems.add("resources memory: limit " + memory + " is below the JVM's bounded pools ("
          + (jvm >> 20) + " MiB, small-device.jvmopts) plus 64 MiB");
    }
    return problems;
  }

  private static List<String> probeProblems(String name, Probe probe, String path, String scheme,
      ContainerPort port) {
    if (probe == null || probe.getHttpGet() == null) {
      return List.of(name + ": an httpGet probe on " + path + " is required");
    }
    HTTPGetAction get = probe.getHttpGet();
    List<String> problems = new ArrayList<>();
    if (!path.equals(get.getPath())) {
      problems.add(name + ": path " + get.getPath() + ", the registry serves " + path);
    }
    if (!scheme.equals(Objects.requireNonNullElse(get.getScheme(), "HTTP"))) {
      problems.add(name + ": scheme " + get.getScheme() + ", the registry serves " + scheme);
    }
    if (!refersTo(get.getPort(), port)) {
      problems.add(name + ": port " + get.getPort() + " is not the container's port");
    }
    return problems;
  }

  private static boolean refersTo(IntOrString ref, ContainerPort port) {
    if (ref == null || port == null) {
      return false;
    }
    return ref.getIntVal() != null ? ref.getIntVal().equals(port.getContainerPort())
        : ref.getStrVal().equals(port.getName());
  }

  /** The TLS file must come from the key of a mounted Secret that the Certificate would write. */
  private List<String> tlsFileProblems(String key, Path path, String secretKey, Manifests m) {
    PodSpec pod = m.statefulSet().getSpec().getTemplate().getSpec();
    VolumeMount mount = mountOf(m.container(), unrooted(path));
    Volume volume = mount == null ? null : volume(pod, mount.getName());
    if (volume == null || volume.getSecret() == null
        || !unrooted(path).equals(mount.getMountPath() + "/" + secretKey)) {
      return List.of(key + ": " + unrooted(path) + " is not " + secretKey + " of a mounted TLS Secret");
    }
    if (!volume.getSecret().getSecretName().equals(m.certificate().spec().secretName())) {
      return List.of(key + ": Secret " + volume.getSecret().getSecretName() + " is not the one"
          + " certificate.yaml writes (" + m.certificate().spec().secretName() + ")");
    }
    return List.of();
  }

  /** Variables none of the configuration reads: without one, nothing about the configuration changes. */
  private List<String> unreadVariables(Manifests m) {
    List<String> problems = new ArrayList<>();
    Map<String, String> env = processEnvironment(m);
    Object withAll = loaded(env);
    for (String variable : m.environment().keySet()) {
      Map<String, String> without = new HashMap<>(env);
      without.remove(variable);
      if (withAll.equals(loaded(without))) {
        problems.add("env: " + variable + " is read by no part of the configuration");
      }
    }
    return problems;
  }

  private static Object loaded(Map<String, String> env) {
    try {
      ConfigLayers.Built built = new ConfigLayers(new ConfigLoader(env), ConfigLoader.Flags.none()).build();
      return List.of(built.sources(), ConfigView.values(built.config()));
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  // --- the container, as the kubelet lays it out -----------------------------------------------

  /**
   * The configuration the container would run with: the image's ENV and the container's (Secret
   * references resolved from the Secret manifest), every mount's files written under a temporary
   * root, and every path in the variables and the configuration file moved under that root.
   */
  private ConfigLayers.Built load(Manifests m, List<String> problems) {
    layOutMounts(m, problems);
    return new ConfigLayers(new ConfigLoader(processEnvironment(m)), ConfigLoader.Flags.none()).build();
  }

  private Map<String, String> processEnvironment(Manifests m) {
    Map<String, String> env = new TreeMap<>(Image.read().environment());
    env.putAll(m.environment());
    env.replaceAll((k, v) -> v.startsWith("/") ? rooted(v).toString() : v);
    return env;
  }

  private void layOutMounts(Manifests m, List<String> problems) {
    PodSpec pod = m.statefulSet().getSpec().getTemplate().getSpec();
    for (VolumeMount mount : m.container().getVolumeMounts()) {
      Path at = rooted(mount.getMountPath());
      Volume volume = volume(pod, mount.getName());
      Map<String, String> files = new LinkedHashMap<>();
      if (volume == null) {
        boolean claim = m.statefulSet().getSpec().getVolumeClaimTemplates().stream()
            .map(PersistentVolumeClaim::getMetadata).map(ObjectMeta::getName).anyMatch(mount.getName()::equals);
        if (!claim) {
          problems.add("volumeMounts " + mount.getName() + ": no such volume or volumeClaimTemplate");
        }
      } else if (volume.getConfigMap() != null) {
        if (!volume.getConfigMap().getName().equals(m.configMap().getMetadata().getName())) {
          problems.add("volume " + volume.getName() + ": ConfigMap " + volume.getConfigMap().getName()
              + " is not in " + FOLDER);
        } else {
          m.configMap().getData().forEach((key, text) -> files.put(key, rootedText(text)));
        }
      } else if (volume.getSecret() != null) {
        // The TLS Secret is made by cert-manager or kubectl create secret tls: those keys.
        files.putAll(Map.of("tls.crt", "certificate", "tls.key", "key", "ca.crt", "ca"));
      }
      write(at, files);
    }
  }

  private void write(Path folder, Map<String, String> files) {
    try {
      Files.createDirectories(folder);
      for (Map.Entry<String, String> f : files.entrySet()) {
        Files.writeString(folder.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The configuration file's text with every absolute path moved under the container root. */
  private String rootedText(String text) {
    Matcher paths = Pattern.compile("(?<![\\w/.*])/[A-Za-z0-9._/-]+").matcher(text);
    StringBuilder out = new StringBuilder();
    while (paths.find()) {
      paths.appendReplacement(out, Matcher.quoteReplacement(rooted(paths.group()).toString()));
    }
    return paths.appendTail(out).toString();
  }

  private Path rooted(String absolute) {
    return containerRoot.resolve(absolute.substring(1));
  }

  private String unrooted(Path path) {
    return path.startsWith(containerRoot) ? "/" + containerRoot.relativize(path) : path.toString();
  }

  /** The mount whose folder holds {@code path} (the deepest one). */
  private static VolumeMount mountOf(Container c, String path) {
    return c.getVolumeMounts().stream()
        .filter(v -> path.equals(v.getMountPath()) || path.startsWith(v.getMountPath() + "/"))
        .max(Comparator.comparingInt(v -> v.getMountPath().length())).orElse(null);
  }

  private static VolumeMount mount(Manifests m, String name) {
    return m.container().getVolumeMounts().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
  }

  private static Volume volume(PodSpec pod, String name) {
    return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElse(null);
  }

  // --- the manifests --------------------------------------------------------------------------

  /** The typed manifests of the folder (each test gets its own, to change at will). */
  record Manifests(Namespace namespace, Secret secret, ConfigMap configMap, Service service,
      StatefulSet statefulSet, Certificate certificate, Kustomization kustomization) {

    static Manifests read() {
      return new Manifests(typed("namespace.yaml", Namespace.class), typed("secret.yaml", Secret.class),
          typed("configmap.yaml", ConfigMap.class), typed("service.yaml", Service.class),
          typed("statefulset.yaml", StatefulSet.class), typed("certificate.yaml", Certificate.class),
          typed("kustomization.yaml", Kustomization.class));
    }

    Container container() {
      List<Container> containers = statefulSet.getSpec().getTemplate().getSpec().getContainers();
      assertEquals(1, containers.size(), "one container");
      return containers.get(0);
    }

    /** The container's variables with Secret and ConfigMap references resolved from the manifests. */
    Map<String, String> environment() {
      Map<String, String> env = new LinkedHashMap<>();
      for (EnvVar v : container().getEnv()) {
        if (v.getValueFrom() == null) {
          env.put(v.getName(), Objects.requireNonNullElse(v.getValue(), ""));
        } else if (v.getValueFrom().getSecretKeyRef() != null) {
          var ref = v.getValueFrom().getSecretKeyRef();
          assertEquals(secret.getMetadata().getName(), ref.getName(), v.getName() + ": the Secret of " + FOLDER);
          String value = secret.getStringData() != null && secret.getStringData().containsKey(ref.getKey())
              ? secret.getStringData().get(ref.getKey())
              : new String(Base64.getDecoder().decode(secret.getData().get(ref.getKey())), StandardCharsets.UTF_8);
          env.put(v.getName(), value);
        } else {
          throw new AssertionError("env " + v.getName() + ": only values and secretKeyRef are expected");
        }
      }
      return env;
    }
  }

  private static <T> T typed(String name, Class<T> type) {
    Path file = file(name);
    Object parsed = parse(tree(file), file.toString());
    assertTrue(type.isInstance(parsed), name + " is not a " + type.getSimpleName());
    return type.cast(parsed);
  }

  private static Path file(String name) {
    return Repository.file(FOLDER + "/" + name);
  }

  private static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.list(Repository.file(FOLDER))) {
      return files.filter(p -> p.getFileName().toString().endsWith(".yaml")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // --- the image --------------------------------------------------------------------------------

  /** What Dockerfile.amd64 and the files it copies say about the container. */
  record Image(Map<String, String> environment, long uid, long gid, int exposedPort, String volume,
      String jvmOptions, String version) {

    static Image read() {
      String dockerfile = readString(Repository.file("Dockerfile.amd64")).replace("\\\n", " ");
      Matcher user = Pattern.compile("(?m)^USER (\\d+):(\\d+)$").matcher(dockerfile);
      Matcher expose = Pattern.compile("(?m)^EXPOSE (\\d+)$").matcher(dockerfile);
      Matcher volume = Pattern.compile("(?m)^VOLUME (\\S+)$").matcher(dockerfile);
      Matcher entry = Pattern.compile("(?m)^ENTRYPOINT \\[\"java\", \"-jar\", \"[^\"]+\"\\]$").matcher(dockerfile);
      Matcher profile = Pattern.compile("(?m)^ENV .*\\bCONNECTED_REGISTRY_JVM=(\\S+)").matcher(dockerfile);
      assertTrue(user.find() && expose.find() && volume.find() && entry.find() && profile.find(),
          "Dockerfile.amd64 has USER uid:gid, EXPOSE, VOLUME, ENV CONNECTED_REGISTRY_JVM=PROFILE and"
              + " ENTRYPOINT [\"java\", \"-jar\", JAR]");
      String version = KubernetesYaml.json(readString(Repository.file("deployment-manifests/modules/connectedRegistry/module.json")))
          .at("/image/tag/version").asText();
      return new Image(DeploymentManifestTest.imageEnvironment(), Long.parseLong(user.group(1)),
          Long.parseLong(user.group(2)), Integer.parseInt(expose.group(1)), volume.group(1), profile.group(1),
          version);
    }

    /** A size option of module/small-device.jvmopts (the file the image copies), in bytes. */
    static long jvmBytes(String option) {
      String options = readString(Repository.file("module/small-device.jvmopts"));
      Matcher m = Pattern.compile("(?m)^" + Pattern.quote(option) + "(\\d+)([kmg])$").matcher(options);
      assertTrue(m.find(), "small-device.jvmopts sets " + option);
      long value = Long.parseLong(m.group(1));
      return value << switch (m.group(2)) {
        case "k" -> 10;
        case "m" -> 20;
        default -> 30;
      };
    }
  }

}
