package io.connectedregistry.e2e.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;

/**
 * Helpers for the auth tests: config files with an {@code auth:} section, the {@code token} CLI
 * on a registry's data folder, Basic/Bearer headers, JWT payloads, and pushes with credentials.
 */
public final class AuthSupport {

  private AuthSupport() {}

  /** A token name and one of its passwords, as the CLI or the admin API printed them. */
  public record Credentials(String name, String password) {

    /** {@code Basic base64(name:password)}. */
    public String basic() {
      return AuthSupport.basic(name, password);
    }

    /** {@code {"Authorization", basic()}}, for {@link RegistryClient}'s header pairs. */
    public String[] header() {
      return new String[] {"Authorization", basic()};
    }

    public Credentials withPassword(String other) {
      return new Credentials(name, other);
    }
  }

  public static String basic(String name, String password) {
    return "Basic " + Base64.getEncoder().encodeToString(
        (name + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  public static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  /**
   * A registry not started yet, whose {@code --config} is {@code yaml} (written to
   * {@code config.yml} in its work folder), plus {@code extraArgs}.
   */
  public static RegistryProcess prepareWithConfig(String name, String yaml, String... extraArgs) {
    RegistryProcess r = RegistryProcess.prepare(name);
    Path config = writeConfig(r, yaml);
    List<String> args = new ArrayList<>(List.of("--config", config.toString()));
    args.addAll(List.of(extraArgs));
    r.withArgs(args.toArray(String[]::new));
    return r;
  }

  public static Path writeConfig(RegistryProcess r, String yaml) {
    Path config = r.workDir().resolve("config.yml");
    try {
      Files.writeString(config, yaml, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return config;
  }

  /** {@code java -jar JAR ARGS... --data DIR} (the token / scope-map CLI on the registry's data folder). */
  public static Command.Result cli(RegistryProcess r, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--data");
    all.add(r.dataDir().toString());
    return RegistryProcess.runJar(60, all.toArray(String[]::new));
  }

  /**
   * {@code token create --name NAME ARGS...} (e.g. {@code "--repository", "app/*", "content/read"});
   * asserts exit 0 and returns the printed name and password.
   */
  public static Credentials createToken(RegistryProcess r, String name, String... args) {
    List<String> all = new ArrayList<>(List.of("token", "create", "--name", name));
    all.addAll(List.of(args));
    Command.Result result = cli(r, all.toArray(String[]::new)).assertOk();
    JsonNode json = ImageTools.readJson(result.stdout());
    assertEquals(name, json.path("name").asText(), result::describe);
    String password = json.path("password").asText();
    assertTrue(password.length() >= 16, () -> "a generated password should be long: " + result.describe());
    return new Credentials(name, password);
  }

  /** The JSON payload of a JWT (its middle part), without checking the signature. */
  public static JsonNode jwtPayload(String jwt) {
    String[] parts = jwt.split("\\.");
    assertEquals(3, parts.length, () -> "a JWT has three dot-separated parts: " + jwt);
    return ImageTools.readJson(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
  }

  /**
   * Repeats {@code request} until it answers {@code expected} (the server notices CLI changes
   * within about a second); returns the last answer, which the caller asserts on.
   */
  public static Response await(Supplier<Response> request, int expected, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    Response r = request.get();
    while (r.status() != expected && Instant.now().isBefore(deadline)) {
      RegistryProcess.sleep(200);
      r = request.get();
    }
    return r;
  }

  /**
   * Waits until a running registry has surely noticed the last change the CLI made to auth.db (it
   * polls every second and then drops every cached login), so a login cached afterwards stays.
   */
  public static void awaitAuthChangesSeen() {
    RegistryProcess.sleep(2000);
  }

  /** {@code WWW-Authenticate} of a Bearer challenge for {@code scope} (null: no scope). */
  public static String challenge(RegistryProcess r, String scope) {
    return "Bearer realm=\"http://" + r.hostPort() + "/oauth2/token\",service=\"" + r.hostPort() + "\""
        + (scope == null ? "" : ",scope=\"" + scope + "\"");
  }

  // ------------------------------------------------------------------------------------------
  // pushes with credentials; each asserts the registry accepted them

  public static String pushBlob(RegistryClient c, String[] auth, String repo, byte[] data) {
    Response start = c.post("/v2/" + repo + "/blobs/uploads/", new byte[0], auth);
    Expect.status(start, 202);
    String digest = Digests.sha256(data);
    URI location = start.location();
    Response put = c.put(RegistryClient.withQuery(location, "digest", digest), data,
        concat(auth, "Content-Type", "application/octet-stream"));
    Expect.status(put, 201);
    return digest;
  }

  public static String pushManifest(RegistryClient c, String[] auth, String repo, String reference,
      Oci.Manifest manifest) {
    Response r = c.put("/v2/" + repo + "/manifests/" + reference, manifest.bytes(),
        concat(auth, "Content-Type", manifest.mediaType()));
    Expect.status(r, 201);
    return manifest.digest();
  }

  /** An image manifest over {@code config} and {@code layer}, unique by {@code seed} (an annotation). */
  public static Oci.Manifest manifest(Oci.Blob config, Oci.Blob layer, String seed) {
    var node = Oci.imageManifest(config, layer);
    node.putObject("annotations").put("e2e.seed", seed);
    return Oci.manifest(Oci.IMAGE_MANIFEST, node);
  }

  public static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
