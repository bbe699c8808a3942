package io.connectedregistry.control;

import io.connectedregistry.auth.Action;
import io.connectedregistry.auth.AuthAdministration;
import io.connectedregistry.auth.AuthStore;
import io.connectedregistry.auth.AuthStore.Tx;
import io.connectedregistry.auth.Limits;
import io.connectedregistry.auth.PasswordSlot;
import io.connectedregistry.auth.RepositoryPattern;
import io.connectedregistry.auth.ScopeMap;
import io.connectedregistry.auth.ScopeMapRule;
import io.connectedregistry.auth.Token;
import io.connectedregistry.auth.TokenStatus;
import io.connectedregistry.config.ConfigException;
import io.connectedregistry.config.HostPort;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.config.RegistryConfig.LogLevel;
import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.control.ConnectedRegistryDefinition.GarbageCollection;
import io.connectedregistry.control.ConnectedRegistryDefinition.Reported;
import io.connectedregistry.control.ConnectedRegistryDefinition.Sync;
import io.connectedregistry.control.ControlException.Kind;
import io.connectedregistry.status.Activation;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The control package's entry point: the root's definitions of its connected registries, and
 * their operations and JSON views, once for both the {@code cr} CLI and the admin API (as {@link
 * AuthAdministration} is for tokens).
 *
 * <p>Every change runs in one transaction of the {@link AuthStore}: a definition, its sync token
 * {@code NAME-sync-token}, its sync scope map {@code NAME-sync-scope-map} and the grants in its
 * ancestors' maps change together or not at all. Definitions exist only at a root (a registry
 * without a parent): elsewhere every operation is refused.
 *
 * <p>Blocking (SQLite, password hashing): call from a worker.
 */
public final class ConnectedRegistries {

  /**
   * What this registry is: the root (no parent) or a connected registry, the address it
   * advertises ({@code loginServer}) and its admin tokens ({@code auth.adminTokens}); the last two
   * are read at each call (they can change without a restart).
   *
   * @param parentEndpoint this registry's parent, null at the root
   */
  public record Site(String parentEndpoint, Supplier<String> loginServer,
      Supplier<List<String>> adminTokens) {

    public Site(String parentEndpoint, Supplier<String> loginServer) {
      this(parentEndpoint, loginServer, List::of);
    }

    public static Site of(RegistryConfig config) {
      return of(() -> config);
    }

    /** @param running the configuration in effect, asked at each call */
    public static Site of(Supplier<RegistryConfig> running) {
      RegistryConfig now = running.get();
      return new Site(now.parent() == null ? null
          : now.parent().protocol() + "://" + now.parent().endpoint(),
          () -> running.get().loginServer(), () -> running.get().auth().adminTokens());
    }
  }

  private final AuthStore store;
  private final Site site;
  private final Clock clock;

  public ConnectedRegistries(AuthStore store, Site site, Clock clock) {
    this.store = store;
    this.site = site;
    this.clock = clock;
  }

  // ---- operations ----

  public Map<String, Object> create(Requests.Create request) {
    requireRoot();
    ConnectedRegistryDefinition wanted = ConnectedRegistryDefinition.create(
        ConnectedRegistryDefinition.checkName("name", request.name()),
        request.mode() == null ? null : mode(request.mode()),
        request.parent() == null ? null : ConnectedRegistryDefinition.checkName("parent", request.parent()),
        patterns(request.repositories()), request.clientTokens(),
        sync(Sync.DEFAULTS, request.syncSchedule(), request.syncWindow(), request.syncMessageTtl()),
        request.logLevel() == null ? null : logLevel(request.logLevel()), null, clock.instant());
    if (wanted.repositories().isEmpty()) {
      throw new IllegalArgumentException("connected registry '" + wanted.name()
          + "' needs at least one repository (--repository NAME or a wildcard such as app/*)");
    }
    return store.inTransaction(tx -> {
      String name = wanted.name();
      Optional<ConnectedRegistryDefinition> existing = DefinitionTable.load(tx.connection(), name);
      if (existing.isPresent()) {
        throw new ControlException(Kind.CONFLICT, "connected registry '" + name
            + "' already exists (parent " + parentName(existing.get().parent())
            + "); names are unique in the tree");
      }
      List<ConnectedRegistryDefinition> ancestors = new ArrayList<>();
      if (wanted.parent() == null && tx.mode() == Mode.ReadOnly && wanted.mode() == Mode.ReadWrite) {
        throw new ControlException(Kind.INVALID, "connected registry '" + name + "' cannot be"
            + " ReadWrite under this root, which is ReadOnly: a ReadOnly parent accepts only"
            + " ReadOnly children");
      }
      if (wanted.parent() != null) {
        ConnectedRegistryDefinition parent = DefinitionTable.load(tx.connection(), wanted.parent())
            .orElseThrow(() -> new ControlException(Kind.NOT_FOUND, "parent '" + wanted.parent()
                + "' of connected registry '" + name + "' does not exist; create it first, or"
                + " leave the parent out for a child of the root"));
        if (parent.mode() == Mode.ReadOnly && wanted.mode() == Mode.ReadWrite) {
          throw new ControlException(Kind.INVALID, "connected registry '" + name + "' cannot be"
              + " ReadWrite under '" + parent.name() + "', which is ReadOnly: a ReadOnly parent"
              + " accepts only ReadOnly children");
        }
        ancestors = Tree.ancestors(tx, parent);
      }
      checkClientTokens(tx, wanted, wanted.clientTokens());
      if (tx.token(wanted.syncTokenName()).isPresent()) {
        throw new ControlException(Kind.CONFLICT, "token '" + wanted.syncTokenName()
            + "' already exists (left by a delete without --cleanup?); delete it ('token delete "
            + wanted.syncTokenName() + "') before creating connected registry '" + name + "'");
      }
      if (tx.scopeMap(wanted.syncScopeMapName()).isPresent()) {
        throw new ControlException(Kind.CONFLICT, "scope map '" + wanted.syncScopeMapName()
            + "' already exists (left by a delete without --cleanup?); delete it ('scope-map"
            + " delete " + wanted.syncScopeMapName() + "') before creating connected registry '"
            + name + "'");
      }
      tx.createScopeMap(SyncScopeMaps.initial(wanted));
      tx.createToken(wanted.syncTokenName(), wanted.syncScopeMapName(), TokenStatus.ENABLED);
      DefinitionTable.insert(tx.connection(), wanted);
      // The ancestors sync at least what their descendant syncs, and grant it the gateway actions.
      for (ConnectedRegistryDefinition ancestor : ancestors) {
        ConnectedRegistryDefinition widened = ancestor;
        for (RepositoryPattern r : wanted.repositories()) {
          widened = Tree.addRepository(tx, widened, r);
        }
        ScopeMap map = Tree.requireSyncMap(tx, widened);
        Tree.updateSyncMap(tx, widened, SyncScopeMaps.withGateway(map, name));
      }
      Tree.touchAncestors(tx, wanted.parent(), new LinkedHashSet<>());
      return Views.definition(wanted);
    });
  }

  public Map<String, Object> update(String name, Requests.Update request) {
    requireRoot();
    if (request.isEmpty()) {
      throw new IllegalArgumentException("nothing to change for connected registry '" + name
          + "': give client tokens to add or remove, sync settings, a log level or garbage"
          + " collection settings");
    }
    return store.inTransaction(tx -> {
      ConnectedRegistryDefinition current = Tree.require(tx, name);
      ConnectedRegistryDefinition next = current;
      if (!request.addClientTokens().isEmpty() || !request.removeClientTokens().isEmpty()) {
        Set<String> both = new LinkedHashSet<>(request.addClientTokens());
        both.retainAll(request.removeClientTokens());
        if (!both.isEmpty()) {
          throw new IllegalArgumentException("client token(s) " + both + " both added and removed");
        }
        List<String> tokens = new ArrayList<>(current.clientTokens());
        for (String t : request.removeClientTokens()) {
          if (!tokens.remove(t)) {
            throw new ControlException(Kind.NOT_FOUND, "token '" + t + "' is not a client token"
                + " of connected registry '" + name + "' (its client tokens: "
                + listed(current.clientTokens()) + ")");
          }
        }
        for (String t : request.addClientTokens()) {
          if (!tokens.contains(t)) {
            tokens.add(t);
          }
        }
        checkClientTokens(tx, current, tokens);
        next = next.withClientTokens(tokens);
      }
      if (request.syncSchedule() != null || request.syncWindow() != null
          || request.syncMessageTtl() != null || request.logLevel() != null
          || request.gcEnabled() != null || request.gcSchedule() != null) {
        GarbageCollection gc = current.garbageCollection();
        next = next.withSettings(
            sync(current.sync(), request.syncSchedule(), request.syncWindow(),
                request.syncMessageTtl()),
            request.logLevel() == null ? current.logLevel() : logLevel(request.logLevel()),
            new GarbageCollection(request.gcEnabled() == null ? gc.enabled() : request.gcEnabled(),
                request.gcSchedule() == null ? gc.schedule()
                    : ConnectedRegistryDefinition.cron("gc schedule", request.gcSchedule())));
      }
      // One change, one new generation: however many parts changed.
      next = new ConnectedRegistryDefinition(next.name(), next.mode(), next.parent(),
          next.repositories(), next.clientTokens(), next.sync(), next.logLevel(),
          next.garbageCollection(), next.reported(), next.created(), current.generation() + 1);
      DefinitionTable.update(tx.connection(), next);
      Tree.touchAncestors(tx, next.parent(), new LinkedHashSet<>());
      return Views.definition(next);
    });
  }

  public Map<String, Object> show(String name) {
    requireRoot();
    return Views.definition(Liveness.apply(definition(name), clock.instant()));
  }

  /** The typed definition (for the instance-facing API of a later step). */
  public ConnectedRegistryDefinition definition(String name) {
    requireRoot();
    return store.reading(tx -> Tree.require(tx, name));
  }

  /**
   * The registry and all its descendants, parents before children: what an instance serves its
   * own children from (their definitions and sync tokens), for the instance-facing API.
   */
  public List<ConnectedRegistryDefinition> subtree(String name) {
    requireRoot();
    return store.reading(tx -> {
      List<ConnectedRegistryDefinition> out = new ArrayList<>();
      out.add(Tree.require(tx, name));
      Tree.collectDescendants(tx, name, out, Map.of());
      return out;
    });
  }

  /**
   * @param parent only this registry's descendants; null = the whole tree
   * @param noChildren only direct children (of {@code parent}, or of the root)
   * @return in tree order: each registry followed by its descendants
   */
  public List<Map<String, Object>> list(String parent, boolean noChildren) {
    requireRoot();
    return store.reading(tx -> {
      List<ConnectedRegistryDefinition> all = DefinitionTable.loadAll(tx.connection());
      Map<String, List<ConnectedRegistryDefinition>> byParent = new HashMap<>();
      for (ConnectedRegistryDefinition d : all) {
        byParent.computeIfAbsent(d.parent() == null ? "" : d.parent(), k -> new ArrayList<>())
            .add(d);
      }
      if (parent != null && all.stream().noneMatch(d -> d.name().equals(parent))) {
        throw new ControlException(Kind.NOT_FOUND, "connected registry '" + parent
            + "' does not exist");
      }
      List<Map<String, Object>> out = new ArrayList<>();
      walk(byParent, parent == null ? "" : parent, !noChildren, out, clock.instant());
      return out;
    });
  }

  private static void walk(Map<String, List<ConnectedRegistryDefinition>> byParent, String key,
      boolean deep, List<Map<String, Object>> out, java.time.Instant now) {
    for (ConnectedRegistryDefinition d : byParent.getOrDefault(key, List.of())) {
      out.add(Views.definition(Liveness.apply(d, now)));
      if (deep) {
        walk(byParent, d.name(), true, out, now);
      }
    }
  }

  /** The client tokens as {@code token show} describes them (never passwords or hashes). */
  public List<Map<String, Object>> listClientTokens(String name) {
    requireRoot();
    return store.reading(tx -> {
      List<Map<String, Object>> out = new ArrayList<>();
      for (String t : Tree.require(tx, name).clientTokens()) {
        tx.token(t).ifPresent(token -> out.add(AuthAdministration.describe(token)));
      }
      return out;
    });
  }

  /**
   * Refused while it has children. With {@code cleanup} its sync token, sync scope map and the
   * gateway grants in its ancestors' maps go too; without, the answer lists what stays.
   */
  public Map<String, Object> delete(String name, boolean cleanup) {
    requireRoot();
    return store.inTransaction(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      List<String> children = DefinitionTable.children(tx.connection(), name);
      if (!children.isEmpty()) {
        throw new ControlException(Kind.CONFLICT, "connected registry '" + name + "' has"
            + " children (" + String.join(", ", children) + "); delete them first");
      }
      List<ConnectedRegistryDefinition> ancestors = d.parent() == null ? List.of()
          : Tree.ancestors(tx, Tree.require(tx, d.parent()));
      DefinitionTable.delete(tx.connection(), name);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("deleted", name);
      List<Map<String, Object>> grants = new ArrayList<>();
      boolean hasToken = tx.token(d.syncTokenName()).isPresent();
      boolean hasMap = tx.scopeMap(d.syncScopeMapName()).isPresent();
      if (cleanup) {
        if (hasToken) {
          tx.deleteSyncToken(d.syncTokenName());
        }
        if (hasMap) {
          tx.deleteScopeMap(d.syncScopeMapName());
        }
      }
      for (ConnectedRegistryDefinition a : ancestors) {
        Optional<ScopeMap> map = tx.scopeMap(a.syncScopeMapName());
        if (map.isPresent() && !map.get().equals(SyncScopeMaps.withoutGateway(map.get(), name))) {
          grants.add(Map.of("scopeMap", a.syncScopeMapName(),
              "rule", ScopeMapRule.GATEWAY_PREFIX + name));
          if (cleanup) {
            Tree.updateSyncMap(tx, a, SyncScopeMaps.withoutGateway(map.get(), name));
          }
        }
      }
      Map<String, Object> touched = new LinkedHashMap<>();
      touched.put("syncToken", hasToken ? d.syncTokenName() : null);
      touched.put("syncScopeMap", hasMap ? d.syncScopeMapName() : null);
      touched.put("grantsInAncestors", grants);
      if (cleanup) {
        out.put("removed", touched);
      } else {
        out.put("kept", touched);
        out.put("note", "without --cleanup the sync token" + (hasToken ? " " + d.syncTokenName()
            : "") + ", its scope map" + (hasMap ? " " + d.syncScopeMapName() : "")
            + " and the gateway/" + name + " grants listed stay, and the token can still log in;"
            + " remove them with 'token delete', 'scope-map delete' and 'scope-map update'");
      }
      out.put("clientTokensKept", d.clientTokens());
      Tree.touchAncestors(tx, d.parent(), new LinkedHashSet<>());
      return out;
    });
  }

  /**
   * Sets activation Inactive; the instance stops syncing at its next contact, and cannot activate
   * again by itself (a new instance, with a new data folder, can).
   */
  public Map<String, Object> deactivate(String name) {
    requireRoot();
    return store.inTransaction(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      ConnectedRegistryDefinition next = d.withActivation(Activation.Inactive);
      DefinitionTable.update(tx.connection(), next);
      Optional<InstanceTable.Instance> instance = InstanceTable.load(tx.connection(), name);
      if (instance.isPresent()) {
        // That instance stays out; a new one may activate.
        InstanceTable.save(tx.connection(), name, new InstanceTable.Instance(
            instance.get().instanceId(), clock.instant(), true));
      }
      Tree.touchAncestors(tx, next.parent(), new LinkedHashSet<>());
      return Views.definition(next);
    });
  }

  /**
   * {@code POST .../activation}: the instance {@code request.instanceId()} becomes the one Active
   * instance of {@code name}. The same instance again is accepted (a restart); another while one
   * is Active, or an instance that was deactivated, is refused naming the registry.
   *
   * @return {@code {name, activation, instanceId, since}}
   */
  public Map<String, Object> activate(String name, ControlRequests.Activate request) {
    requireRoot();
    return store.inTransaction(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      Optional<InstanceTable.Instance> holder = InstanceTable.load(tx.connection(), name);
      boolean same = holder.isPresent() && holder.get().instanceId().equals(request.instanceId());
      if (holder.isPresent() && !same && !holder.get().deactivated()
          && d.reported().activation() == Activation.Active) {
        throw new ControlException(Kind.CONFLICT, "activation refused: connected registry '"
            + name + "' is already active with another instance (since " + holder.get().since()
            + "); deactivate it at the root ('cr deactivate --name " + name + "') to move it");
      }
      if (same && holder.get().deactivated()) {
        throw new ControlException(Kind.CONFLICT, "activation refused: this instance of connected"
            + " registry '" + name + "' was deactivated at the root (" + holder.get().since()
            + "); a new instance (a new data folder) may activate with the same connection string");
      }
      InstanceTable.Instance instance = same ? holder.get()
          : new InstanceTable.Instance(request.instanceId(), clock.instant(), false);
      InstanceTable.save(tx.connection(), name, instance);
      Reported r = d.reported();
      ConnectedRegistryDefinition next = d.withReported(new Reported(r.activation(),
          r.connectionState(), clock.instant(), r.lastSyncTime(),
          request.version() == null ? r.version() : request.version(), r.statusDetails(),
          request.loginServer() == null ? r.loginServer() : request.loginServer(),
          r.upstreamPending(), r.upstreamExpired()));
      if (r.activation() != Activation.Active) {
        next = next.withActivation(Activation.Active);
        DefinitionTable.update(tx.connection(), next);
        Tree.touchAncestors(tx, next.parent(), new LinkedHashSet<>());
      } else {
        DefinitionTable.update(tx.connection(), next);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("activation", Activation.Active.name());
      out.put("instanceId", instance.instanceId());
      out.put("since", instance.since().toString());
      return out;
    });
  }

  /**
   * {@code POST .../status}: what the instance says, dated by this root's clock (the instance's
   * may be wrong). Its activation is not taken: that is the root's to set (activation,
   * deactivate), and a report sent just before a deactivate must not undo it.
   */
  public void report(String name, ControlRequests.Report report) {
    requireRoot();
    store.inTransaction(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      Optional<InstanceTable.Instance> holder = InstanceTable.load(tx.connection(), name);
      if (report.instanceId() != null && (holder.isEmpty() || holder.get().deactivated()
          || !holder.get().instanceId().equals(report.instanceId()))) {
        // Another instance with the same sync token (one a parent accepted while the root was
        // away, say) must not speak for the active one.
        throw new ControlException(Kind.CONFLICT, "status refused: the instance reporting is not"
            + " the active instance of connected registry '" + name + "'");
      }
      Reported r = d.reported();
      DefinitionTable.update(tx.connection(), d.withReported(new Reported(r.activation(),
          report.connectionState(), clock.instant(), report.lastSyncTime(),
          report.version() == null ? r.version() : report.version(), report.statusDetails(),
          report.loginServer() == null ? r.loginServer() : report.loginServer(),
          report.upstreamPending(), report.upstreamExpired())));
      return null;
    });
  }

  /**
   * {@code GET .../definition}: the registry's definition and its descendants' (which it serves
   * its own children from), with {@code definitionVersion}, the ETag.
   */
  public Map<String, Object> definitionDocument(String name) {
    List<ConnectedRegistryDefinition> all = subtree(name);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("definitionVersion", all.get(0).generation());
    out.put("registry", Views.definition(all.get(0)));
    out.put("descendants", all.subList(1, all.size()).stream().map(Views::definition).toList());
    return out;
  }

  /**
   * {@code GET .../tokens}: the client tokens of the registry and of its descendants, and its
   * descendants' sync tokens, each with its scope map and password HASHES (never passwords).
   */
  public io.vertx.core.json.JsonObject tokensDocument(String name) {
    requireRoot();
    return store.reading(tx -> {
      List<ConnectedRegistryDefinition> all = new ArrayList<>();
      all.add(Tree.require(tx, name));
      Tree.collectDescendants(tx, name, all, Map.of());
      return TokenDocument.build(tx, all);
    });
  }

  /** The fields the instance reports; not a new generation of the definition. */
  public void report(String name, Reported reported) {
    requireRoot();
    store.inTransaction(tx -> {
      DefinitionTable.update(tx.connection(), Tree.require(tx, name).withReported(reported));
      return null;
    });
  }

  /**
   * The connection string. A password is in it only when {@code generatePassword} names a slot,
   * which replaces that slot's password of the sync token; otherwise the string has no password
   * part and a note says how to get one.
   */
  public Map<String, Object> settings(String name, Requests.Settings request) {
    requireRoot();
    String protocol = request.parentProtocol();
    if (protocol == null || !(protocol.equals("http") || protocol.equals("https"))) {
      throw new IllegalArgumentException("parent protocol must be http or https, not '" + protocol
          + "'");
    }
    PasswordSlot slot = request.generatePassword() == null ? null
        : PasswordSlot.of(request.generatePassword());
    ConnectedRegistryDefinition d = definition(name);
    String endpoint = request.parentEndpoint() != null
        ? hostPort("parent endpoint", request.parentEndpoint())
        : defaultEndpoint(d);
    if (store.token(d.syncTokenName()).isEmpty()) {
      throw new ControlException(Kind.NOT_FOUND, "the sync token '" + d.syncTokenName()
          + "' of connected registry '" + name + "' does not exist");
    }
    StringBuilder s = new StringBuilder()
        .append("ConnectedRegistryName=").append(name)
        .append(";SyncTokenName=").append(d.syncTokenName());
    Map<String, Object> out = new LinkedHashMap<>();
    if (slot != null) {
      Object password = new AuthAdministration(store, clock)
          .generatePassword(d.syncTokenName(), slot, Optional.empty()).get("password");
      s.append(";SyncTokenPassword=").append(password);
    }
    s.append(";ParentGatewayEndpoint=").append(endpoint)
        .append(";ParentEndpointProtocol=").append(protocol);
    out.put("ACR_REGISTRY_CONNECTION_STRING", s.toString());
    if (slot == null) {
      out.put("note", "no SyncTokenPassword: a password is shown only when generated; run again"
          + " with --generate-password 1 or 2 (this replaces that slot's password of "
          + d.syncTokenName() + ")");
    }
    return out;
  }

  /** The rules of its sync scope map, and the repositories of the definition. */
  public Map<String, Object> permissions(String name) {
    requireRoot();
    return store.reading(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("mode", d.mode().name());
      out.put("repositories", d.repositories().stream().map(RepositoryPattern::value).toList());
      out.put("syncScopeMap", tx.scopeMap(d.syncScopeMapName())
          .map(AuthAdministration::describe).orElse(null));
      return out;
    });
  }

  /**
   * {@code repo update} and {@code permissions update}: adds each pattern to the registry and
   * every ancestor that does not already cover it (definition and sync scope map, with each
   * registry's mode's actions); removes each pattern, and every pattern it covers, from the
   * registry and all its descendants. A removed pattern must be one the registry has.
   */
  public Map<String, Object> updateRepositories(String name, Requests.RepositoryChange change) {
    requireRoot();
    if (change.add().isEmpty() && change.remove().isEmpty()) {
      throw new IllegalArgumentException("nothing to change for connected registry '" + name
          + "': give repositories to add and/or remove");
    }
    List<RepositoryPattern> add = patterns(change.add());
    List<RepositoryPattern> remove = patterns(change.remove());
    Set<RepositoryPattern> both = new LinkedHashSet<>(add);
    both.retainAll(remove);
    if (!both.isEmpty()) {
      throw new IllegalArgumentException("repository " + both + " both added and removed");
    }
    return store.inTransaction(tx -> {
      ConnectedRegistryDefinition d = Tree.require(tx, name);
      Map<String, ConnectedRegistryDefinition> changed = new LinkedHashMap<>();
      for (RepositoryPattern r : remove) {
        if (d.repositories().stream().noneMatch(p -> SyncScopeMaps.covers(r, p))) {
          throw new ControlException(Kind.NOT_FOUND, "repository '" + r + "' is not among the"
              + " repositories of connected registry '" + name + "' ("
              + listed(d.repositories().stream().map(RepositoryPattern::value).toList()) + ")");
        }
        List<ConnectedRegistryDefinition> subtree = new ArrayList<>();
        subtree.add(changed.getOrDefault(name, d));
        Tree.collectDescendants(tx, name, subtree, changed);
        for (ConnectedRegistryDefinition x : subtree) {
          ConnectedRegistryDefinition narrowed = Tree.removeRepository(tx, x, r);
          if (narrowed != x) {
            changed.put(x.name(), narrowed);
          }
        }
      }
      for (RepositoryPattern r : add) {
        ConnectedRegistryDefinition self = changed.getOrDefault(name, Tree.require(tx, name));
        List<ConnectedRegistryDefinition> chain = new ArrayList<>();
        chain.add(self);
        if (self.parent() != null) {
          for (ConnectedRegistryDefinition a : Tree.ancestors(tx, Tree.require(tx, self.parent()))) {
            chain.add(changed.getOrDefault(a.name(), a));
          }
        }
        for (ConnectedRegistryDefinition x : chain) {
          ConnectedRegistryDefinition widened = Tree.addRepository(tx, x, r);
          if (widened != x) {
            changed.put(x.name(), widened);
          }
        }
      }
      Set<String> touched = new LinkedHashSet<>(changed.keySet());
      for (ConnectedRegistryDefinition x : List.copyOf(changed.values())) {
        Tree.touchAncestors(tx, x.parent(), touched);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("name", name);
      out.put("repositories", Tree.require(tx, name).repositories().stream()
          .map(RepositoryPattern::value).toList());
      Map<String, Object> registries = new LinkedHashMap<>();
      for (ConnectedRegistryDefinition x : changed.values()) {
        registries.put(x.name(), x.repositories().stream().map(RepositoryPattern::value).toList());
      }
      out.put("changed", registries);
      return out;
    });
  }

  // ---- rules ----

  private void requireRoot() {
    if (site.parentEndpoint() != null) {
      throw new ControlException(Kind.CONFLICT, "this registry is a connected registry (its"
          + " parent is " + site.parentEndpoint() + "): connected registries are defined only at"
          + " the root of the tree, the registry without a parent; run this command there");
    }
  }

  /**
   * The tokens exist, are not sync tokens, number at most {@link Limits#MAX_CLIENT_TOKENS}, and
   * (for a ReadOnly registry) hold read actions only.
   */
  private void checkClientTokens(Tx tx, ConnectedRegistryDefinition d, List<String> tokens)
      throws SQLException {
    if (tokens.size() > Limits.MAX_CLIENT_TOKENS) {
      throw new ControlException(Kind.LIMIT_EXCEEDED, "connected registry '" + d.name()
          + "' would have " + tokens.size() + " client tokens; a connected registry holds at most "
          + Limits.MAX_CLIENT_TOKENS);
    }
    for (String t : tokens) {
      if (tx.token(t).isEmpty()) {
        throw new ControlException(Kind.NOT_FOUND, "client token '" + t + "' of connected"
            + " registry '" + d.name() + "' does not exist; create it first ('token create')");
      }
      if (site.adminTokens().get().contains(t)) {
        // Its password hash would be copied down to the connected registry (a later step), where
        // the device may be taken: an admin credential of the root must never be there.
        throw new ControlException(Kind.INVALID, "token '" + t + "' is an admin token of this"
            + " root (auth.adminTokens) and cannot be a client token of connected registry '"
            + d.name() + "': client tokens' password hashes are copied to the connected registry");
      }
      if (t.endsWith(ConnectedRegistryDefinition.SYNC_TOKEN_SUFFIX)) {
        String owner = t.substring(0, t.length() - ConnectedRegistryDefinition.SYNC_TOKEN_SUFFIX.length());
        if (DefinitionTable.load(tx.connection(), owner).isPresent() || owner.equals(d.name())) {
          throw new ControlException(Kind.INVALID, "token '" + t + "' is the sync token of"
              + " connected registry '" + owner + "' and cannot be a client token of '" + d.name()
              + "'");
        }
      }
    }
    checkReadOnlyTokens(tx, d, tokens);
  }

  private static void checkReadOnlyTokens(Tx tx, ConnectedRegistryDefinition d,
      List<String> tokens) throws SQLException {
    if (d.mode() != Mode.ReadOnly) {
      return;
    }
    for (String t : tokens) {
      Token token = tx.token(t).orElseThrow();
      Optional<ScopeMap> map = tx.scopeMap(token.scopeMapName());
      if (map.isEmpty()) {
        continue;
      }
      for (ScopeMapRule rule : map.get().rules()) {
        List<String> writes = rule.actions().stream().filter(a -> !a.isRead())
            .sorted().map(Action::wireName).toList();
        if (!writes.isEmpty()) {
          throw new ControlException(Kind.INVALID, "client token '" + t + "' of ReadOnly"
              + " connected registry '" + d.name() + "' holds " + String.join(", ", writes)
              + " on '" + rule.pattern() + "' (scope map '" + map.get().name() + "'); client"
              + " tokens of a ReadOnly registry hold read actions only (content/read,"
              + " metadata/read)");
        }
      }
    }
  }

  private String defaultEndpoint(ConnectedRegistryDefinition d) {
    if (d.parent() == null) {
      String login = site.loginServer().get();
      if (login == null) {
        throw new ControlException(Kind.INVALID, "no parent endpoint for connected registry '"
            + d.name() + "': its parent is this root, which has no loginServer; pass"
            + " --parent-endpoint HOST[:PORT] or set loginServer in the root's configuration");
      }
      return login;
    }
    String login = definition(d.parent()).reported().loginServer();
    if (login == null) {
      throw new ControlException(Kind.INVALID, "no parent endpoint for connected registry '"
          + d.name() + "': its parent '" + d.parent() + "' has not reported a loginServer yet;"
          + " pass --parent-endpoint HOST[:PORT]");
    }
    return login;
  }

  // ---- values as users write them ----

  static Mode mode(String value) {
    return Arrays.stream(Mode.values()).filter(m -> m.name().equals(value)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("mode must be ReadOnly or ReadWrite, not '"
            + value + "'"));
  }

  static LogLevel logLevel(String value) {
    return Arrays.stream(LogLevel.values()).filter(l -> l.name().equals(value)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("log level must be one of "
            + Arrays.stream(LogLevel.values()).map(Enum::name).collect(Collectors.joining(", "))
            + ", not '" + value + "'"));
  }

  private static List<RepositoryPattern> patterns(List<String> values) {
    List<RepositoryPattern> out = new ArrayList<>();
    for (String v : values) {
      RepositoryPattern p = RepositoryPattern.of(v);
      if (!out.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private static Sync sync(Sync base, String schedule, String window, String messageTtl) {
    return new Sync(
        schedule == null ? base.schedule() : ConnectedRegistryDefinition.cron("sync schedule", schedule),
        window == null ? base.window()
            : window.isEmpty() ? null : ConnectedRegistryDefinition.duration("sync window", window),
        messageTtl == null ? base.messageTtl()
            : ConnectedRegistryDefinition.duration("sync messageTtl", messageTtl));
  }

  private static String hostPort(String key, String value) {
    try {
      return HostPort.check(key, value);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static String parentName(String parent) {
    return parent == null ? "the root" : "'" + parent + "'";
  }

  private static String listed(List<String> values) {
    return values.isEmpty() ? "none" : String.join(", ", values);
  }

}
