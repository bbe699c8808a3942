package io.connectedregistry.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.connectedregistry.auth.AuthAdministration;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.AuthStoreException;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordHasher;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.ConfigLoader.Flags;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.storage.DiskSpace;
import io.connectedregistry.storage.PrivateFiles;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Stack;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code token} and {@code scope-map} subcommands: edit the tokens and scope maps in the data
 * folder's {@code auth.db} of a stopped or running registry. Output is JSON on stdout; a password
 * is printed only when it is generated, and hashes never. {@code Main} lists {@link TokenCommand}
 * and {@link ScopeMapCommand} among its subcommands; nothing here depends on it.
 */
public final class AuthCommands {

  private static final String NAME = "connected-registry";
  private static final int USAGE = 2;
  private static final int FAILURE = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The hasher the commands use; tests swap in a cheap one. */
  static Supplier<PasswordHasher> passwordHasher = PasswordHasher::new;

  private AuthCommands() {}

  // ---- shared plumbing ----

  /** Where the store lives and in which mode the registry runs: reuses the server's config. */
  static final class StoreOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML or JSON configuration file")
    String config;

    @Option(names = "--data", paramLabel = "DIR", description = "data folder")
    String data;

    @Option(names = "--mode", paramLabel = "MODE", description = "ReadOnly or ReadWrite")
    String mode;

    AuthStore open() throws IOException {
      RegistryConfig loaded =
          ConfigLoader.fromSystemEnvironment()
              .load(Flags.none().withConfig(config).withData(data).withMode(mode));
      PrivateFiles.folder(loaded.data());
      DiskSpace.releaseReserveIfFull(loaded.data()); // a full disk must not stop a token change
      return AuthStore.open(
          loaded.data(), loaded.mode(), Limits.of(loaded.auth(), loaded.parent() != null), passwordHasher.get(),
          Clock.systemUTC());
    }
  }

  /** A command taking {@code --repository PATTERN ACTION [ACTION...]} groups. */
  /** The repeatable {@code --repository PATTERN ACTION...} option, shared by the commands that define rules. */
  static final class RuleOptions {
    @Option(
        names = "--repository",
        arity = "2..*",
        paramLabel = "PATTERN ACTION...",
        hideParamSyntax = true,
        parameterConsumer = RuleConsumer.class,
        description = RULE_HELP)
    /** One entry per {@code --repository}: the pattern, then its actions (filled by RuleConsumer). */
    List<List<String>> groups = new ArrayList<>();
  }

  /**
   * Reads one {@code --repository} group: the pattern and every following argument up to the next
   * option. Picocli's own handling of repeated multi-value options would merge the groups.
   */
  static final class RuleConsumer implements IParameterConsumer {
    @Override
    public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
      List<String> group = new ArrayList<>();
      while (!args.isEmpty() && !args.peek().startsWith("-")) {
        group.add(args.pop());
      }
      if (group.size() < 2) {
        throw new ParameterException(commandSpec.commandLine(),
            "--repository needs a PATTERN followed by at least one ACTION, e.g."
                + " --repository app/* content/read");
      }
      List<List<String>> groups = argSpec.getValue();
      if (groups == null) {
        groups = new ArrayList<>();
      }
      groups.add(group);
      argSpec.setValue(groups);
    }
  }

  private static final String RULE_HELP = "repository pattern (name, prefix/* or *) followed by one"
      + " or more actions: content/read, content/write, content/delete, metadata/read,"
      + " metadata/write; or gateway/REGISTRY (a connected registry) followed by config/read,"
      + " config/write, message/read, message/write; repeat for more rules";

  private static ScopeMapRule rule(List<String> values) {
    return AuthAdministration.rule(values.get(0), values.subList(1, values.size()));
  }

  private static List<ScopeMapRule> rules(List<List<String>> groups) {
    List<ScopeMapRule> rules = new ArrayList<>();
    for (List<String> g : groups) {
      rules.add(rule(g));
    }
    return rules;
  }

  @FunctionalInterface
  interface StoreAction {
    Object run(AuthAdministration admin) throws Exception;
  }

  /**
   * Opens the store, runs the action, prints its result (if any) as JSON. Store refusals and
   * invalid input become one line on stderr: exit 2 for what the user must fix, 1 for storage.
   */
  private static int run(StoreOptions options, StoreAction action) throws Exception {
    CliLogging.toStderr();
    try (AuthStore store = options.open()) {
      Object result = action.run(new AuthAdministration(store, Clock.systemUTC()));
      if (result != null) {
        System.out.println(json(result));
      }
      return 0;
    } catch (AuthStoreException e) {
      System.err.println(NAME + ": " + e.getMessage());
      return e.kind() == AuthStoreException.Kind.STORAGE ? FAILURE : USAGE;
    } catch (IllegalArgumentException e) {
      System.err.println(NAME + ": " + e.getMessage());
      return USAGE;
    }
  }

  private static int usage(String message) {
    System.err.println(NAME + ": " + message);
    return USAGE;
  }

  private static String json(Object value) throws JsonProcessingException {
    return JSON.writeValueAsString(value);
  }

  private static Optional<Instant> expiry(String value) {
    return new AuthAdministration(null, Clock.systemUTC()).expiry("--expiry", value);
  }

  // ---- token ----

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      versionProvider = ManifestVersion.class,
      synopsisSubcommandLabel = "COMMAND",
      description = "Manage client tokens (user names and passwords for docker login).",
      subcommands = {
        TokenCommand.Create.class,
        TokenCommand.ListTokens.class,
        TokenCommand.Show.class,
        TokenCommand.Update.class,
        TokenCommand.Delete.class,
        TokenCommand.Password.class
      })
  public static final class TokenCommand extends CommandGroup {

    @Command(
        name = "create",
        mixinStandardHelpOptions = true,
        description = "Create a token and its first password; the password is printed only now.")
    static final class Create implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Option(names = "--name", required = true, paramLabel = "NAME", description = "token name")
      String name;

      @Mixin RuleOptions rules;

      @Option(
          names = "--scope-map",
          paramLabel = "NAME",
          description = "use this existing scope map instead of --repository rules")
      String scopeMap;

      @Option(
          names = "--expiry",
          paramLabel = "WHEN",
          description = "password expiry: ISO-8601 duration (P30D) or instant")
      String expiry;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> admin.createToken(name,
            rules.groups.isEmpty() ? null : rules(rules.groups), scopeMap, expiry(expiry)));
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the tokens.")
    static final class ListTokens implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Override
      public Integer call() throws Exception {
        return run(store, AuthAdministration::listTokens);
      }
    }

    @Command(
        name = "show",
        mixinStandardHelpOptions = true,
        description = "Show a token and the rules of its scope map (never its passwords).")
    static final class Show implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> admin.showToken(name));
      }
    }

    @Command(
        name = "update",
        mixinStandardHelpOptions = true,
        description = "Enable or disable a token, or point it at another scope map.")
    static final class Update implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Option(names = "--status", paramLabel = "enabled|disabled")
      String status;

      @Option(names = "--scope-map", paramLabel = "NAME")
      String scopeMap;

      @Override
      public Integer call() throws Exception {
        if (status == null && scopeMap == null) {
          return usage("token update: nothing to change; give --status and/or --scope-map");
        }
        return run(store, admin -> admin.updateToken(name,
            status == null ? null : AuthAdministration.status("--status", status), scopeMap));
      }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a token.")
    static final class Delete implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> {
          admin.deleteToken(name);
          return null;
        });
      }
    }

    @Command(
        name = "password",
        mixinStandardHelpOptions = true,
        description = "Generate (and print once) a new password for a slot, or delete it.")
    static final class Password implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Option(names = "--slot", required = true, paramLabel = "1|2")
      int slot;

      @Option(names = "--expiry", paramLabel = "WHEN",
          description = "ISO-8601 duration (P30D) or instant")
      String expiry;

      @Option(names = "--delete", description = "delete the slot's password instead")
      boolean delete;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> {
          PasswordSlot passwordSlot = PasswordSlot.of(slot);
          if (delete) {
            if (expiry != null) {
              throw new IllegalArgumentException("token password: --expiry and --delete exclude"
                  + " each other");
            }
            admin.deletePassword(name, passwordSlot);
            return null;
          }
          return admin.generatePassword(name, passwordSlot, expiry(expiry));
        });
      }
    }
  }

  // ---- scope-map ----

  @Command(
      name = "scope-map",
      mixinStandardHelpOptions = true,
      versionProvider = ManifestVersion.class,
      synopsisSubcommandLabel = "COMMAND",
      description = "Manage scope maps (which actions a token may take on which repositories).",
      subcommands = {
        ScopeMapCommand.Create.class,
        ScopeMapCommand.ListMaps.class,
        ScopeMapCommand.Show.class,
        ScopeMapCommand.Update.class,
        ScopeMapCommand.Delete.class
      })
  public static final class ScopeMapCommand extends CommandGroup {

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a scope map.")
    static final class Create implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Mixin RuleOptions rules;

      @Option(names = "--description", paramLabel = "TEXT")
      String description;

      @Override
      public Integer call() throws Exception {
        if (rules.groups.isEmpty()) {
          return usage("scope-map create: give at least one --repository PATTERN ACTION... rule");
        }
        return run(store, admin -> admin.createScopeMap(name, description, rules(rules.groups)));
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List scope maps.")
    static final class ListMaps implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Override
      public Integer call() throws Exception {
        return run(store, AuthAdministration::listScopeMaps);
      }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a scope map.")
    static final class Show implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> admin.showScopeMap(name));
      }
    }

    @Command(
        name = "update",
        mixinStandardHelpOptions = true,
        description = "Replace a scope map's rules (and description, if given).")
    static final class Update implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Mixin RuleOptions rules;

      @Option(names = "--description", paramLabel = "TEXT")
      String description;

      @Override
      public Integer call() throws Exception {
        if (rules.groups.isEmpty() && description == null) {
          return usage("scope-map update: nothing to change; give --repository rules and/or"
              + " --description");
        }
        return run(store, admin -> admin.updateScopeMap(name, description,
            rules.groups.isEmpty() ? null : rules(rules.groups)));
      }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a scope map.")
    static final class Delete implements Callable<Integer> {
      @Mixin StoreOptions store;

      @Parameters(index = "0", paramLabel = "NAME")
      String name;

      @Override
      public Integer call() throws Exception {
        return run(store, admin -> {
          admin.deleteScopeMap(name);
          return null;
        });
      }
    }
  }
}
