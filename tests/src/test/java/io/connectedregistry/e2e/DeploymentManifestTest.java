package io.connectedregistry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialect;
import com.networknt.schema.dialect.Dialects;
import com.networknt.schema.keyword.AnnotationKeyword;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.ConfigLayers;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.e2e.support.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The IoT Edge deployment manifests in {@code deployment-manifests/}: each validates against the
 * public IoT Edge schema (the shared copies, never fetched), and this module's part of each is
 * checked against the code: its desired properties go through the real configuration loader (as
 * the module twin's layer), its environment must be read by the loader, its createOptions must
 * publish 8080 and mount the data folder. A key the code does not know fails the build; the
 * {@code ...IsRefused} tests show that each check can fail.
 */
class DeploymentManifestTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FOLDER = "deployment-manifests";
  private static final String REGISTRY = "connectedRegistry";
  private static final String PROXY = "IoTEdgeAPIProxy";
  private static final String DATA = "/var/acr/data";
  private static final String SCHEMA_HOME = "https://json.schemastore.org/";

  /**
   * What the module twin may set (issue 11): the configuration file's keys for mode, the parent's
   * address, sync, logLevel, storage and anonymous pull. Secrets (the sync token, admin tokens)
   * never travel in the twin: they come from ACR_REGISTRY_CONNECTION_STRING.
   */
  private static final Pattern TWIN_KEY = Pattern.compile(
      "mode|logLevel|parent\\.(endpoint|protocol)|sync\\..+|storage\\..+|auth\\.anonymousPull");

  /** Set by the IoT Edge agent on a nested device; {@code $upstream} names that parent. */
  private static final Map<String, String> EDGE_AGENT_ENVIRONMENT =
      Map.of("IOTEDGE_PARENTHOSTNAME", "parent-device.example");

  // --- the schema ---------------------------------------------------------------------------

  @Test
  void everyManifestValidatesAgainstTheIotEdgeDeploymentSchema() {
    Schema schema = schema("azure-iot-edge-deployment-2.0.json");
    for (Path manifest : manifests()) {
      assertEquals(List.of(), messages(schema.validate(read(manifest))), manifest.toString());
    }
  }

  @Test
  void everyTemplateValidatesAgainstTheIotEdgeTemplateSchema() {
    Schema schema = schema("azure-iot-edge-deployment-template-4.0.json");
    for (Path template : templates()) {
      assertEquals(List.of(), messages(schema.validate(read(template))), template.toString());
    }
  }

  @Test
  void aManifestOutsideTheSchemaIsRefused() {
    ObjectNode manifest = (ObjectNode) read(manifest("top-layer"));
    ObjectNode registry = (ObjectNode) manifest.at(modulePath(REGISTRY));
    registry.put("restartPolicy", "sometimes");
    registry.put("volumes", "/var/acr/data");

    List<String> errors = messages(schema("azure-iot-edge-deployment-2.0.json").validate(manifest));

    assertTrue(errors.stream().anyMatch(e -> e.contains("restartPolicy")), errors::toString);
    assertTrue(errors.stream().anyMatch(e -> e.contains("volumes")), errors::toString);
  }

  @Test
  void aTemplateOutsideTheSchemaIsRefusedThroughTheSchemasItReferences() {
    ObjectNode template = (ObjectNode) read(template("lower-layer"));
    // The template schema takes schemaVersion's rule from the edgeAgent 1.1 schema by $ref.
    ((ObjectNode) template.at("/modulesContent/$edgeAgent/properties.desired")).put("schemaVersion", "2.0");
    ((ObjectNode) template.at("/modulesContent/$edgeHub/properties.desired")).remove("routes");

    List<String> errors = messages(schema("azure-iot-edge-deployment-template-4.0.json").validate(template));

    assertTrue(errors.stream().anyMatch(e -> e.contains("schemaVersion")), errors::toString);
    assertTrue(errors.stream().anyMatch(e -> e.contains("routes")), errors::toString);
  }

  // --- this module's part, against the code -------------------------------------------------

  @Test
  void theRegistryModuleOfEveryManifestIsWhatTheCodeReads() {
    for (Map.Entry<String, JsonNode> m : manifestsAndExpandedTemplates().entrySet()) {
      assertEquals(List.of(), registryProblems(m.getValue()), m.getKey());
    }
  }

  @Test
  void aDesiredPropertyTheCodeDoesNotKnowIsRefused() {
    JsonNode manifest = read(manifest("top-layer"));
    ((ObjectNode) manifest.at(desiredPath(REGISTRY) + "/sync")).put("scheduel", "0 2 * * *");

    List<String> problems = registryProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("unknown configuration key 'sync.scheduel'")),
        problems::toString);
  }

  @Test
  void aDesiredPropertyWithAnInvalidValueIsRefused() {
    JsonNode manifest = read(manifest("lower-layer"));
    ((ObjectNode) manifest.at(desiredPath(REGISTRY) + "/sync")).put("window", "PT10M");
    ((ObjectNode) manifest.at(desiredPath(REGISTRY))).put("mode", "ReadMostly");

    List<String> problems = registryProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("sync.window")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("mode")), problems::toString);
  }

  @Test
  void aSecretOrAFileKeyInTheDesiredPropertiesIsRefused() {
    JsonNode manifest = read(manifest("lower-layer"));
    ObjectNode desired = (ObjectNode) manifest.at(desiredPath(REGISTRY));
    desired.putObject("parent").put("endpoint", "$upstream:8000").put("password", "hunter2");
    desired.put("listen", "0.0.0.0:9090");

    List<String> problems = registryProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("parent.password")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("'listen'")), problems::toString);
    assertFalse(problems.toString().contains("hunter2"), "a refused secret is never echoed");
  }

  @Test
  void anEnvironmentVariableTheCodeDoesNotReadIsRefused() {
    JsonNode manifest = read(manifest("top-layer"));
    ((ObjectNode) manifest.at(modulePath(REGISTRY) + "/env"))
        .putObject("REGISTRY_LISTEN_PORT").put("value", "9090");

    List<String> problems = registryProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("REGISTRY_LISTEN_PORT")), problems::toString);
  }

  @Test
  void createOptionsWithoutThePortOrTheDataFolderAreRefused() {
    JsonNode manifest = read(manifest("top-layer"));
    ((ObjectNode) manifest.at(modulePath(REGISTRY) + "/settings")).put("createOptions",
        "{\"HostConfig\":{\"Binds\":[\"/srv/certs:/var/acr/certs\"],\"PortBindings\":{\"5000/tcp\":[{\"HostPort\":\"5000\"}]}}}");

    List<String> problems = registryProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("8080/tcp")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains(DATA)), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.contains("/srv/certs:/var/acr/certs")), problems::toString);
  }

  @Test
  void theTopLayerSyncsFromTheCloudRegistryReadWrite() {
    JsonNode manifest = read(manifest("top-layer"));
    RegistryConfig config = load(manifest).config();

    assertEquals(RegistryConfig.Mode.ReadWrite, config.mode());
    assertTrue(config.parent().endpoint().endsWith(".data.azurecr.io"), config.parent().endpoint());
    assertEquals("https", config.parent().protocol());
  }

  @Test
  void theLowerLayerIsReadOnlyUnderItsParentDeviceOnPort8000() {
    JsonNode manifest = read(manifest("lower-layer"));
    String connection = env(manifest, REGISTRY).get(ConfigLoader.CONNECTION_STRING);
    RegistryConfig config = load(manifest).config();

    assertTrue(connection.contains(";ParentGatewayEndpoint=$upstream:8000;"), connection);
    assertEquals(RegistryConfig.Mode.ReadOnly, config.mode());
    assertTrue(config.parent().endpoint().endsWith(":8000"), config.parent().endpoint());
    assertEquals("https", config.parent().protocol());
    // A nested device reaches nothing but its parent: every image comes through the parent's proxy.
    for (String image : images(manifest)) {
      assertTrue(image.startsWith("$upstream:8000/"), image);
    }
    manifest.at("/modulesContent/$edgeAgent/properties.desired/runtime/settings/registryCredentials")
        .forEach(c -> assertEquals("$upstream:8000", c.path("address").asText()));
  }

  // --- the API proxy --------------------------------------------------------------------------

  @Test
  void theApiProxyOfEveryManifestRoutesTheRegistryPathsToThisModule() throws IOException {
    for (Map.Entry<String, JsonNode> m : manifestsAndExpandedTemplates().entrySet()) {
      assertEquals(List.of(), proxyProblems(m.getValue()), m.getKey());
    }
  }

  @Test
  void aProxyConfigurationThatDoesNotRouteTheConnectedApiIsRefused() throws IOException {
    JsonNode manifest = read(manifest("top-layer"));
    String edited = Files.readString(Repository.file(FOLDER + "/api-proxy/nginx_config.conf"))
        .replace("(v2|oauth2|_connected)", "(v2|oauth2)");
    ((ObjectNode) manifest.at(desiredPath(PROXY))).put("nginx_config",
        Base64.getEncoder().encodeToString(edited.getBytes(StandardCharsets.UTF_8)));

    List<String> problems = proxyProblems(manifest);

    assertTrue(problems.stream().anyMatch(p -> p.contains("/_connected/v1/changes")), problems::toString);
  }

  // --- templates ------------------------------------------------------------------------------

  @Test
  void everyTemplateExpandsToTheManifestBesideIt() {
    assertFalse(templates().isEmpty());
    for (Path template : templates()) {
      Path manifest = template.resolveSibling(template.getFileName().toString().replace(".template.json", ".json"));
      assertTrue(Files.exists(manifest), "no expanded manifest beside " + template);
      assertEquals(normalized(read(manifest)), normalized(expand(read(template))),
          template + " expanded with .env.example differs from " + manifest);
    }
  }

  @Test
  void aTemplateVariableThatEnvExampleDoesNotDefineIsRefused() {
    JsonNode template = read(template("top-layer"));
    ((ObjectNode) template.at(modulePath(REGISTRY) + "/env"))
        .putObject("REGISTRY_LOG_LEVEL").put("value", "$LOG_LEVEL");

    AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, () -> expand(template));

    assertTrue(e.getMessage().contains("$LOG_LEVEL"), e.getMessage());
  }

  // --- checks -----------------------------------------------------------------------------------

  /** What is wrong with this module's part of {@code manifest}; empty when nothing is. */
  private static List<String> registryProblems(JsonNode manifest) {
    List<String> problems = new ArrayList<>();
    JsonNode module = manifest.at(modulePath(REGISTRY));
    if (module.isMissingNode()) {
      return List.of("no module " + REGISTRY + " in $edgeAgent's modules");
    }
    problems.addAll(createOptionsProblems(createOptions(module)));

    Map<String, String> env = env(manifest, REGISTRY);
    if (!env.containsKey(ConfigLoader.CONNECTION_STRING)) {
      problems.add("env: " + ConfigLoader.CONNECTION_STRING + " (the sync token and parent) is missing");
    }
    problems.addAll(unreadVariables(env));

    JsonNode desired = manifest.at(desiredPath(REGISTRY));
    if (!desired.isObject()) {
      return append(problems, "no properties.desired for " + REGISTRY);
    }
    for (String key : leaves(desired)) {
      if (!TWIN_KEY.matcher(key).matches()) {
        problems.add("desired property '" + key + "': not a key the module twin may set (secrets"
            + " and files stay out of the twin)");
      }
    }
    try {
      ConfigLayers.Built built = load(manifest);
      built.refused().forEach((k, why) -> problems.add("desired property '" + k + "': " + why));
    } catch (ConfigException e) {
      problems.addAll(e.problems());
    }
    return problems;
  }

  private static List<String> createOptionsProblems(JsonNode options) {
    List<String> problems = new ArrayList<>();
    JsonNode ports = options.at("/HostConfig/PortBindings/8080~1tcp");
    if (!ports.isArray() || ports.isEmpty() || !"8080".equals(ports.get(0).path("HostPort").asText())) {
      problems.add("createOptions: HostConfig.PortBindings must publish 8080/tcp on 8080: " + options);
    }
    if (!options.at("/ExposedPorts/8080~1tcp").isObject()) {
      problems.add("createOptions: ExposedPorts must name 8080/tcp: " + options);
    }
    boolean data = false;
    for (JsonNode bind : options.at("/HostConfig/Binds")) {
      String[] parts = bind.asText().split(":");
      if (parts.length >= 2 && parts[1].equals(DATA)) {
        data = parts.length == 2 || !parts[2].contains("ro");
      } else if (parts.length < 3 || !List.of(parts[2].split(",")).contains("ro")) {
        problems.add("createOptions: bind '" + bind.asText() + "' must be read-only (only " + DATA
            + " is written)");
      }
    }
    if (!data) {
      problems.add("createOptions: HostConfig.Binds must mount a writable host folder on " + DATA);
    }
    return problems;
  }

  /**
   * The variables no part of the configuration loader reads: without one, no key's source changes
   * from the environment to another layer.
   */
  private static List<String> unreadVariables(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Map<String, String> withAll = loaderSources(env);
    for (String variable : env.keySet()) {
      Map<String, String> without = new HashMap<>(env);
      without.remove(variable);
      Map<String, String> sources = loaderSources(without);
      boolean read = withAll.entrySet().stream().anyMatch(e -> e.getValue().equals(ConfigLayers.ENVIRONMENT)
          && !ConfigLayers.ENVIRONMENT.equals(sources.get(e.getKey())));
      if (!read) {
        problems.add("env: " + variable + " is read by no part of the configuration");
      }
    }
    return problems;
  }

  private static Map<String, String> loaderSources(Map<String, String> env) {
    try {
      return new ConfigLayers(new ConfigLoader(processEnvironment(env)), ConfigLoader.Flags.none())
          .build().sources();
    } catch (ConfigException e) {
      throw new AssertionError("the environment alone does not load: " + e.problems(), e);
    }
  }

  private static List<String> proxyProblems(JsonNode manifest) throws IOException {
    List<String> problems = new ArrayList<>();
    JsonNode module = manifest.at(modulePath(PROXY));
    if (module.isMissingNode()) {
      return List.of("no module " + PROXY);
    }
    if (!module.at("/settings/image").asText().endsWith("azureiotedge-api-proxy:1.1")) {
      problems.add("image: not the IoT Edge API proxy 1.1: " + module.at("/settings/image"));
    }
    Map<String, String> env = env(manifest, PROXY);
    String port = env.get("NGINX_DEFAULT_PORT");
    if (port == null || !createOptions(module).at("/HostConfig/PortBindings/" + port + "~1tcp").isArray()) {
      problems.add("NGINX_DEFAULT_PORT " + port + " is not published by createOptions");
    }
    if (!(REGISTRY + ":8080").equals(env.get("CONNECTED_ACR_ROUTE_ADDRESS"))) {
      problems.add("CONNECTED_ACR_ROUTE_ADDRESS must be " + REGISTRY + ":8080, not "
          + env.get("CONNECTED_ACR_ROUTE_ADDRESS"));
    }
    Set<String> substituted = Set.of(env.getOrDefault("NGINX_CONFIG_ENV_VAR_LIST", "").split(","));
    String config = new String(Base64.getDecoder().decode(manifest.at(desiredPath(PROXY) + "/nginx_config").asText()),
        StandardCharsets.UTF_8);
    if (!config.equals(Files.readString(Repository.file(FOLDER + "/api-proxy/nginx_config.conf")))) {
      problems.add("nginx_config is not api-proxy/nginx_config.conf, base64-encoded");
    }
    Matcher variables = Pattern.compile("\\$\\{([A-Z_]+)}").matcher(config);
    while (variables.find()) {
      if (!substituted.contains(variables.group(1)) || !env.containsKey(variables.group(1))) {
        problems.add("nginx_config uses ${" + variables.group(1) + "}: it must be set and listed in"
            + " NGINX_CONFIG_ENV_VAR_LIST");
      }
    }
    Pattern routed = registryRoute(config);
    for (String path : List.of("/v2/", "/v2/apps/web/manifests/1.0", "/oauth2/token", "/_connected/v1/changes",
        "/_connected/v1/status")) {
      if (routed == null || !routed.matcher(path).find()) {
        problems.add("nginx_config does not route " + path + " to ${CONNECTED_ACR_ROUTE_ADDRESS}");
      }
    }
    return problems;
  }

  /** The regular expression of the location whose proxy_pass goes to this module. */
  private static Pattern registryRoute(String config) {
    Matcher m = Pattern.compile("location ~ (\\S+) \\{(.*?)\n\\s*}", Pattern.DOTALL).matcher(config);
    while (m.find()) {
      if (m.group(2).contains("http://${CONNECTED_ACR_ROUTE_ADDRESS}") && m.group(2).contains("proxy_pass")) {
        return Pattern.compile(m.group(1));
      }
    }
    return null;
  }

  // --- loading ------------------------------------------------------------------------------

  /** The configuration the module would run with: image and manifest environment, desired properties as the twin. */
  private static ConfigLayers.Built load(JsonNode manifest) {
    JsonNode desired = manifest.at(desiredPath(REGISTRY));
    return new ConfigLayers(new ConfigLoader(processEnvironment(env(manifest, REGISTRY))), ConfigLoader.Flags.none())
        .withTwin(desired.isObject() ? desired : null)
        .build();
  }

  /** What the container's process sees: the image's ENV, the agent's variables, then the manifest's. */
  private static Map<String, String> processEnvironment(Map<String, String> manifestEnv) {
    Map<String, String> env = new HashMap<>(imageEnvironment());
    env.putAll(EDGE_AGENT_ENVIRONMENT);
    env.putAll(manifestEnv);
    return env;
  }

  /** The ENV instructions of Dockerfile.amd64 (KEY=VALUE form). */
  static Map<String, String> imageEnvironment() {
    String dockerfile = readString(Repository.file("Dockerfile.amd64")).replace("\\\n", " ");
    Map<String, String> env = new TreeMap<>();
    for (String line : dockerfile.split("\n")) {
      if (line.startsWith("ENV ")) {
        for (String pair : line.substring(4).trim().split("\\s+")) {
          int eq = pair.indexOf('=');
          env.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    assertTrue(env.containsKey("REGISTRY_LISTEN"), "Dockerfile.amd64 sets REGISTRY_LISTEN: " + env);
    return env;
  }

  // --- templates ----------------------------------------------------------------------------

  /**
   * The template with every variable replaced as the IoT Edge dev tooling does: {@code $NAME} and
   * {@code ${NAME}} from .env.example, {@code ${MODULES.connectedRegistry}} from the module's
   * module.json (repository:version-amd64). Fails on a variable .env.example does not define;
   * {@code $upstream} is IoT Edge's own name for the parent device, not a variable.
   */
  private static JsonNode expand(JsonNode template) {
    Map<String, String> values = envExample();
    JsonNode module = read(Repository.file(FOLDER + "/modules/" + REGISTRY + "/module.json"));
    values.put("MODULES." + REGISTRY, expandText(module.at("/image/repository").asText(), values)
        + ":" + module.at("/image/tag/version").asText() + "-amd64");
    return map(template, text -> expandText(text, values));
  }

  private static String expandText(String text, Map<String, String> values) {
    Matcher m = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)").matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      String value = values.get(name);
      if (value == null && !name.equals("upstream")) {
        throw new AssertionError("the template uses $" + name + ", which .env.example does not define");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value == null ? m.group() : value));
    }
    return m.appendTail(out).toString();
  }

  private static Map<String, String> envExample() {
    Map<String, String> values = new HashMap<>();
    for (String line : readString(Repository.file(FOLDER + "/.env.example")).split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        values.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1));
      }
    }
    return values;
  }

  /** createOptions strings parsed, so a manifest and its template compare as JSON. */
  private static JsonNode normalized(JsonNode node) {
    if (node.isObject()) {
      ObjectNode copy = JSON.createObjectNode();
      node.fields().forEachRemaining(f -> copy.set(f.getKey(),
          f.getKey().matches("create[oO]ptions[0-9]*") && f.getValue().isTextual()
              ? parse(f.getValue().asText()) : normalized(f.getValue())));
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = JSON.createArrayNode();
      node.forEach(e -> copy.add(normalized(e)));
      return copy;
    }
    return node;
  }

  private static JsonNode map(JsonNode node, java.util.function.UnaryOperator<String> text) {
    if (node.isObject()) {
      ObjectNode copy = JSON.createObjectNode();
      node.fields().forEachRemaining(f -> copy.set(f.getKey(), map(f.getValue(), text)));
      return copy;
    }
    if (node.isArray()) {
      ArrayNode copy = JSON.createArrayNode();
      node.forEach(e -> copy.add(map(e, text)));
      return copy;
    }
    return node.isTextual() ? TextNode.valueOf(text.apply(node.asText())) : node;
  }

  // --- manifest access ------------------------------------------------------------------------

  private static String modulePath(String module) {
    return "/modulesContent/$edgeAgent/properties.desired/modules/" + module;
  }

  private static String desiredPath(String module) {
    return "/modulesContent/" + module + "/properties.desired";
  }

  private static JsonNode createOptions(JsonNode module) {
    JsonNode options = module.at("/settings/createOptions");
    return options.isTextual() ? parse(options.asText()) : options;
  }

  private static Map<String, String> env(JsonNode manifest, String module) {
    Map<String, String> env = new LinkedHashMap<>();
    manifest.at(modulePath(module) + "/env").fields()
        .forEachRemaining(f -> env.put(f.getKey(), f.getValue().path("value").asText()));
    return env;
  }

  private static List<String> images(JsonNode manifest) {
    List<String> images = new ArrayList<>();
    JsonNode agent = manifest.at("/modulesContent/$edgeAgent/properties.desired");
    agent.path("systemModules").forEach(m -> images.add(m.at("/settings/image").asText()));
    agent.path("modules").forEach(m -> images.add(m.at("/settings/image").asText()));
    return images;
  }

  /** The key paths a document sets, as the configuration names them (sync.schedule). */
  private static Set<String> leaves(JsonNode node) {
    Set<String> keys = new TreeSet<>();
    collect(node, "", keys);
    return keys;
  }

  private static void collect(JsonNode node, String prefix, Set<String> keys) {
    if (!node.isObject()) {
      keys.add(prefix);
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      collect(f.getValue(), prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), keys);
    }
  }

  // --- files ------------------------------------------------------------------------------------

  private static List<Path> manifests() {
    List<Path> all = jsonFiles().stream().filter(p -> !p.getFileName().toString().endsWith(".template.json")).toList();
    assertTrue(all.contains(manifest("top-layer")) && all.contains(manifest("lower-layer")), all::toString);
    return all;
  }

  private static List<Path> templates() {
    List<Path> all = jsonFiles().stream().filter(p -> p.getFileName().toString().endsWith(".template.json")).toList();
    assertTrue(all.contains(template("top-layer")) && all.contains(template("lower-layer")), all::toString);
    return all;
  }

  private static Map<String, JsonNode> manifestsAndExpandedTemplates() {
    Map<String, JsonNode> all = new TreeMap<>();
    manifests().forEach(p -> all.put(p.getFileName().toString(), read(p)));
    templates().forEach(p -> all.put(p.getFileName() + " (expanded)", expand(read(p))));
    return all;
  }

  private static List<Path> jsonFiles() {
    try (Stream<Path> files = Files.list(Repository.file(FOLDER))) {
      return files.filter(p -> p.getFileName().toString().startsWith("deployment.")
          && p.getFileName().toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path manifest(String layer) {
    return Repository.root().resolve(FOLDER).resolve("deployment." + layer + ".json");
  }

  private static Path template(String layer) {
    return Repository.root().resolve(FOLDER).resolve("deployment." + layer + ".template.json");
  }

  private static Schema schema(String file) {
    Map<String, String> schemas = new HashMap<>();
    Path folder = Repository.iotEdgeSchemas();
    for (String name : List.of("azure-iot-edge-deployment-2.0.json", "azure-iot-edge-deployment-template-4.0.json",
        "azure-iot-edgeagent-deployment-1.1.json", "azure-iot-edgehub-deployment-1.2.json")) {
      schemas.put(SCHEMA_HOME + name, readString(folder.resolve(name)));
    }
    // The schemas are draft-04 ("$schema"); every $ref resolves to the copies above, and nothing
    // is ever fetched (a reference outside them fails). "examples" and "contentMediaType" are
    // later drafts' annotations the schemas carry: known here as annotations, not warned about.
    Dialect draft4 = Dialect.builder(Dialects.getDraft4())
        .keyword(new AnnotationKeyword("examples"))
        .keyword(new AnnotationKeyword("contentMediaType"))
        .build();
    SchemaRegistry registry = SchemaRegistry.withDefaultDialect(draft4,
        b -> b.schemas(schemas).schemaLoader(l -> l.fetchRemoteResources(false)));
    return registry.getSchema(SchemaLocation.of(SCHEMA_HOME + file));
  }

  private static List<String> messages(List<Error> errors) {
    return errors.stream().map(Objects::toString).collect(Collectors.toList());
  }

  private static List<String> append(List<String> list, String item) {
    list.add(item);
    return list;
  }

  private static JsonNode read(Path file) {
    return parse(readString(file));
  }

  private static JsonNode parse(String text) {
    try {
      return JSON.readTree(text);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private static String readString(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
