package io.connectedregistry.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.control.ConnectedRegistries;
import io.connectedregistry.control.ControlException;
import io.connectedregistry.control.Requests;
import io.connectedregistry.storage.DiskSpace;
import io.connectedregistry.storage.PrivateFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code connected-registry cr COMMAND}: the root's definitions of its connected registries, as
 * {@code az acr connected-registry} offers them. Offline on a data folder ({@code --data} or
 * {@code --config}, like {@code token}), or online against a running registry's admin API
 * ({@code --server URL --username ADMIN}, the password from {@code CONNECTED_REGISTRY_PASSWORD}
 * or {@code --password-stdin}, never an argument). Both run the same {@link ConnectedRegistries}
 * operations and print the same JSON; {@code list} prints a table unless {@code --output json}.
 */
public final class ConnectedRegistryCommands {

  static final String PASSWORD_VARIABLE = "CONNECTED_REGISTRY_PASSWORD";
  private static final String NAME = "connected-registry";
  private static final String API = "/_connected/v1/admin/connected-registries";
  private static final int USAGE = 2;
  private static final int FAILURE = 1;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The environment; tests replace it. */
  static Supplier<Map<String, String>> environment = System::getenv;

  private ConnectedRegistryCommands() {}

  // ---- where the definitions are ----

  /** Either a data folder (offline) or a running registry (online). */
  static final class Target {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration"
        + " file of the root (offline)")
    String config;

    @Option(names = "--data", paramLabel = "DIR", description = "data folder of the root (offline)")
    String data;

    @Option(names = "--server", paramLabel = "URL", description = "a running root, e.g."
        + " https://registry.example.com (online, through the admin API)")
    String server;

    @Option(names = "--username", paramLabel = "TOKEN", description = "an admin token"
        + " (auth.adminTokens), with --server; its password comes from " + PASSWORD_VARIABLE
        + " or --password-stdin")
    String username;

    @Option(names = "--password-stdin", description = "read the admin token's password from the"
        + " first line of standard input")
    boolean passwordStdin;
  }

  /** One operation, offline and online. */
  interface Operation {
    Object offline(ConnectedRegistries registries) throws Exception;

    /** method, path below the API root (with query), body (null for none). */
    Online online();
  }

  record Online(String method, String path, Object body) {}

  private static int run(Target target, Operation operation, boolean table) {
    CliLogging.toStderr();
    try {
      Object result;
      if (target.server != null) {
        if (target.data != null || target.config != null) {
          return usage("--server works on a running registry; --data and --config on a stopped"
              + " one's folder: give one or the other");
        }
        result = online(target, operation.online());
      } else {
        result = offline(target, operation);
      }
      if (table && result instanceof List<?> rows) {
        System.out.print(table(rows));
      } else if (result != null) {
        System.out.println(JSON.writeValueAsString(result));
      }
      return 0;
    } catch (Refused e) {
      System.err.println(NAME + ": " + e.getMessage());
      return e.status >= 400 && e.status < 500 ? USAGE : FAILURE;
    } catch (ControlException | IllegalArgumentException e) {
      System.err.println(NAME + ": " + e.getMessage());
      return USAGE;
    } catch (AuthStoreException e) {
      System.err.println(NAME + ": " + e.getMessage());
      return e.kind() == AuthStoreException.Kind.STORAGE ? FAILURE : USAGE;
    } catch (IOException e) {
      System.err.println(NAME + ": " + e.getMessage());
      return FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return FAILURE;
    } catch (Exception e) {
      System.err.println(NAME + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return FAILURE;
    }
  }

  private static Object offline(Target target, Operation operation) throws Exception {
    RegistryConfig loaded = ConfigLoader.fromSystemEnvironment()
        .load(Flags.none().withConfig(target.config).withData(target.data));
    PrivateFiles.folder(loaded.data());
    DiskSpace.releaseReserveIfFull(loaded.data());
    try (AuthStore store = AuthStore.open(loaded.data(), loaded.mode(),
        Limits.of(loaded.auth(), loaded.parent() != null), AuthCommands.passwordHasher.get(),
        Clock.systemUTC())) {
      return operation.offline(
          new ConnectedRegistries(store, ConnectedRegistries.Site.of(loaded), Clock.systemUTC()));
    }
  }

  /** An error answer of the admin API: its detail, never a password (the API never echoes one). */
  static final class Refused extends Exception {
    final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private static Object online(Target target, Online call) throws Exception {
    if (target.username == null) {
      throw new IllegalArgumentException("--server needs --username (an admin token)");
    }
    String password = password(target);
    String base = target.server.endsWith("/")
        ? target.server.substring(0, target.server.length() - 1) : target.server;
    if (!base.startsWith("http://") && !base.startsWith("https://")) {
      throw new IllegalArgumentException("--server must be an http:// or https:// URL, not '"
          + target.server + "'");
    }
    String credentials = Base64.getEncoder().encodeToString(
        (target.username + ":" + password).getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + API + call.path()))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Basic " + credentials)
        .header("Accept", "application/json");
    if (call.body() == null) {
      request.method(call.method(), HttpRequest.BodyPublishers.noBody());
    } else {
      request.header("Content-Type", "application/json").method(call.method(),
          HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(call.body())));
    }
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot reach " + base + ": " + e, e);
    }
    String body = response.body();
    if (response.statusCode() >= 300) {
      String detail = "HTTP " + response.statusCode();
      try {
        JsonNode error = JSON.readTree(body).path("errors").path(0);
        if (!error.isMissingNode()) {
          detail = error.path("detail").asText(error.path("message").asText(detail));
        }
      } catch (IOException notJson) {
        // keep the status line
      }
      if (response.statusCode() == 401 || response.statusCode() == 403) {
        detail = detail + " (--username must name a token listed in auth.adminTokens, with its"
            + " password)";
      }
      throw new Refused(response.statusCode(), detail);
    }
    return body.isEmpty() ? null : JSON.readValue(body, Object.class);
  }

  static String password(Target target) throws IOException {
    if (target.passwordStdin) {
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = in.readLine();
      if (line == null || line.isEmpty()) {
        throw new IllegalArgumentException("--password-stdin: standard input holds no password");
      }
      return line;
    }
    String fromEnvironment = environment.get().get(PASSWORD_VARIABLE);
    if (fromEnvironment == null || fromEnvironment.isEmpty()) {
      throw new IllegalArgumentException("--server needs the admin token's password: set "
          + PASSWORD_VARIABLE + " or pass --password-stdin");
    }
    return fromEnvironment;
  }

  private static int usage(String message) {
    System.err.println(NAME + ": " + message);
    return USAGE;
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** NAME, MODE, ACTIVATION, CONNECTION STATE, PARENT, LAST SYNC; "-" for none. */
  static String table(List<?> rows) {
    List<String[]> lines = new ArrayList<>();
    lines.add(new String[] {"NAME", "MODE", "ACTIVATION", "CONNECTION STATE", "PARENT", "LAST SYNC"});
    for (Object row : rows) {
      Map<String, Object> m = JSON.convertValue(row, new TypeReference<>() {});
      lines.add(new String[] {cell(m.get("name")), cell(m.get("mode")), cell(m.get("activation")),
          cell(m.get("connectionState")), cell(m.get("parent")), cell(m.get("lastSyncTime"))});
    }
    int[] widths = new int[6];
    for (String[] line : lines) {
      for (int i = 0; i < 6; i++) {
        widths[i] = Math.max(widths[i], line[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] line : lines) {
      StringBuilder l = new StringBuilder();
      for (int i = 0; i < 6; i++) {
        l.append(i < 5 ? String.format("%-" + (widths[i] + 2) + "s", line[i]) : line[i]);
      }
      out.append(l.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }

  private static String cell(Object value) {
    return value == null ? "-" : value.toString();
  }

  // ---- commands ----

  @Command(
      name = "cr",
      mixinStandardHelpOptions = true,
      versionProvider = ManifestVersion.class,
      synopsisSubcommandLabel = "COMMAND",
      description = "Define the connected registries of this root (like az acr connected-registry).",
      subcommands = {
        CrCommand.Create.class,
        CrCommand.Update.class,
        CrCommand.Show.class,
        CrCommand.ListRegistries.class,
        CrCommand.ListClientTokens.class,
        CrCommand.Delete.class,
        CrCommand.Deactivate.class,
        CrCommand.GetSettings.class,
        CrCommand.Permissions.class,
        CrCommand.Repo.class
      })
  public static final class CrCommand extends CommandGroup {

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Define a connected registry, with its sync token and sync scope map.")
    static final class Create implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME",
          description = "5 to 50 lowercase letters and digits, starting with a letter")
      String name;

      @Option(names = "--mode", paramLabel = "ReadOnly|ReadWrite", description = "default ReadOnly")
      String mode;

      @Option(names = "--parent", paramLabel = "NAME",
          description = "the parent connected registry; default: this root")
      String parent;

      @Option(names = "--repository", required = true, arity = "1..*", paramLabel = "REPO",
          description = "repositories to sync: names or wildcards (app/*, *)")
      List<String> repositories = new ArrayList<>();

      @Option(names = "--client-tokens", arity = "1..*", paramLabel = "TOKEN",
          description = "existing tokens its clients use (at most 20)")
      List<String> clientTokens = new ArrayList<>();

      @Option(names = "--sync-schedule", paramLabel = "CRON", description = "default '* * * * *'")
      String syncSchedule;

      @Option(names = "--sync-window", paramLabel = "DURATION", description = "PT1H..P7D")
      String syncWindow;

      @Option(names = "--sync-message-ttl", paramLabel = "DURATION", description = "default P2D")
      String syncMessageTtl;

      @Option(names = "--log-level", paramLabel = "LEVEL",
          description = "Debug, Information (default), Warning, Error or None")
      String logLevel;

      @Override
      public Integer call() {
        Requests.Create request = new Requests.Create(name, mode, parent, repositories,
            clientTokens, syncSchedule, syncWindow, syncMessageTtl, logLevel);
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.create(request);
          }

          public Online online() {
            return new Online("POST", "", request.toJson());
          }
        }, false);
      }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
        description = "Change client tokens, sync, log level or garbage collection settings.")
    static final class Update implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Option(names = "--add-client-tokens", arity = "1..*", paramLabel = "TOKEN")
      List<String> add = new ArrayList<>();

      @Option(names = "--remove-client-tokens", arity = "1..*", paramLabel = "TOKEN")
      List<String> remove = new ArrayList<>();

      @Option(names = "--sync-schedule", paramLabel = "CRON")
      String syncSchedule;

      @Option(names = "--sync-window", paramLabel = "DURATION",
          description = "PT1H..P7D; an empty value removes the window")
      String syncWindow;

      @Option(names = "--sync-message-ttl", paramLabel = "DURATION")
      String syncMessageTtl;

      @Option(names = "--log-level", paramLabel = "LEVEL")
      String logLevel;

      @Option(names = "--gc-enabled", arity = "1", paramLabel = "true|false")
      Boolean gcEnabled;

      @Option(names = "--gc-schedule", paramLabel = "CRON")
      String gcSchedule;

      @Override
      public Integer call() {
        Requests.Update request = new Requests.Update(add, remove, syncSchedule, syncWindow,
            syncMessageTtl, logLevel, gcEnabled, gcSchedule);
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.update(name, request);
          }

          public Online online() {
            return new Online("PATCH", "/" + encode(name), request.toJson());
          }
        }, false);
      }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
        description = "Print a connected registry's definition and reported state as JSON.")
    static final class Show implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Override
      public Integer call() {
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.show(name);
          }

          public Online online() {
            return new Online("GET", "/" + encode(name), null);
          }
        }, false);
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
        description = "List connected registries: a table, or JSON with --output json.")
    static final class ListRegistries implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--parent", paramLabel = "NAME",
          description = "only this registry's descendants")
      String parent;

      @Option(names = "--no-children",
          description = "only direct children (of --parent, or of this root)")
      boolean noChildren;

      @Option(names = "--output", paramLabel = "table|json", defaultValue = "table")
      String output;

      @Override
      public Integer call() {
        if (!output.equals("table") && !output.equals("json")) {
          return usage("--output must be table or json, not '" + output + "'");
        }
        StringBuilder query = new StringBuilder();
        if (parent != null) {
          query.append("?parent=").append(encode(parent));
        }
        if (noChildren) {
          query.append(query.length() == 0 ? "?" : "&").append("noChildren=true");
        }
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.list(parent, noChildren);
          }

          public Online online() {
            return new Online("GET", query.toString(), null);
          }
        }, output.equals("table"));
      }
    }

    @Command(name = "list-client-tokens", mixinStandardHelpOptions = true,
        description = "List a connected registry's client tokens (never their passwords).")
    static final class ListClientTokens implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Override
      public Integer call() {
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.listClientTokens(name);
          }

          public Online online() {
            return new Online("GET", "/" + encode(name) + "/client-tokens", null);
          }
        }, false);
      }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete a connected registry (refused while it has children).")
    static final class Delete implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Option(names = "--cleanup", description = "also delete its sync token, sync scope map and"
          + " the gateway grants in its ancestors' sync scope maps")
      boolean cleanup;

      @Override
      public Integer call() {
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.delete(name, cleanup);
          }

          public Online online() {
            return new Online("DELETE", "/" + encode(name) + (cleanup ? "?cleanup=true" : ""),
                null);
          }
        }, false);
      }
    }

    @Command(name = "deactivate", mixinStandardHelpOptions = true,
        description = "Set a connected registry Inactive: its instance stops syncing.")
    static final class Deactivate implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Override
      public Integer call() {
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.deactivate(name);
          }

          public Online online() {
            return new Online("POST", "/" + encode(name) + "/deactivate", null);
          }
        }, false);
      }
    }

    @Command(name = "get-settings", mixinStandardHelpOptions = true,
        description = "Print the connection string an instance starts with"
            + " (ACR_REGISTRY_CONNECTION_STRING); the password only with --generate-password.")
    static final class GetSettings implements Callable<Integer> {
      @Mixin Target target;

      @Option(names = "--name", required = true, paramLabel = "NAME")
      String name;

      @Option(names = "--parent-protocol", required = true, paramLabel = "http|https")
      String protocol;

      @Option(names = "--parent-endpoint", paramLabel = "HOST[:PORT]", description = "default:"
          + " the parent's loginServer (this root's configuration, or what a connected parent"
          + " reported)")
      String endpoint;

      @Option(names = "--generate-password", paramLabel = "1|2", description = "generate a new"
          + " password in this slot of the sync token (replacing the old one) and print it")
      Integer slot;

      @Override
      public Integer call() {
        Requests.Settings request = new Requests.Settings(protocol, endpoint, slot);
        return run(target, new Operation() {
          public Object offline(ConnectedRegistries r) {
            return r.settings(name, request);
          }

          public Online online() {
            return new Online("POST", "/" + encode(name) + "/settings", request.toJson());
          }
        }, false);
      }
    }

    /** {@code --add R...} and {@code --remove R...}, shared by repo and permissions update. */
    static final class Change {
      @Option(names = "--add", arity = "1..*", paramLabel = "REPO",
          description = "add to this registry and every ancestor not already covering it")
      List<String> add = new ArrayList<>();

      @Option(names = "--remove", arity = "1..*", paramLabel = "REPO",
          description = "remove it (and the patterns it covers) from this registry and every"
              + " descendant")
      List<String> remove = new ArrayList<>();
    }

    private static int updateRepositories(Target target, String name, Change change) {
      Requests.RepositoryChange request = new Requests.RepositoryChange(change.add, change.remove);
      return run(target, new Operation() {
        public Object offline(ConnectedRegistries r) {
          return r.updateRepositories(name, request);
        }

        public Online online() {
          return new Online("PATCH", "/" + encode(name) + "/repositories", request.toJson());
        }
      }, false);
    }

    @Command(name = "permissions", mixinStandardHelpOptions = true,
        synopsisSubcommandLabel = "COMMAND",
        description = "The repository permissions of a connected registry's sync scope map.",
        subcommands = {Permissions.Show.class, Permissions.Update.class})
    static final class Permissions extends CommandGroup {

      @Command(name = "show", mixinStandardHelpOptions = true,
          description = "Print the repositories and the rules of its sync scope map.")
      static final class Show implements Callable<Integer> {
        @Mixin Target target;

        @Option(names = "--name", required = true, paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
          return run(target, new Operation() {
            public Object offline(ConnectedRegistries r) {
              return r.permissions(name);
            }

            public Online online() {
              return new Online("GET", "/" + encode(name) + "/permissions", null);
            }
          }, false);
        }
      }

      @Command(name = "update", mixinStandardHelpOptions = true,
          description = "Add or remove repositories; the same operation as 'repo update'.")
      static final class Update implements Callable<Integer> {
        @Mixin Target target;

        @Option(names = "--name", required = true, paramLabel = "NAME")
        String name;

        @Mixin Change change;

        @Override
        public Integer call() {
          return updateRepositories(target, name, change);
        }
      }
    }

    @Command(name = "repo", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "COMMAND",
        description = "The repositories a connected registry syncs.",
        subcommands = {Repo.Update.class})
    static final class Repo extends CommandGroup {

      @Command(name = "update", mixinStandardHelpOptions = true,
          description = "Add repositories (to it and its ancestors) or remove them (from it and"
              + " its descendants).")
      static final class Update implements Callable<Integer> {
        @Mixin Target target;

        @Option(names = "--name", required = true, paramLabel = "NAME")
        String name;

        @Mixin Change change;

        @Override
        public Integer call() {
          return updateRepositories(target, name, change);
        }
      }
    }
  }
}
