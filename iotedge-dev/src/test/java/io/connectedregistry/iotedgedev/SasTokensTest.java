package io.connectedregistry.iotedgedev;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SasTokensTest {

  private final ModuleIdentity id = new ModuleIdentity(
      "hub.azure-devices.net", "dev", "registry", ModuleIdentity.randomKey(), "gen-1");
  private final Instant now = Instant.parse("2026-11-30T12:00:00Z");

  @Test
  void aTokenSignedWithTheModuleKeyForItsResourceIsAccepted() {
    assertEquals(Optional.empty(), SasTokens.refusal(SasTokens.sign(id, now.plusSeconds(3600)), id, now));
  }

  @Test
  void anExpiredTokenIsRefused() {
    assertEquals(Optional.of("token expired"), SasTokens.refusal(SasTokens.sign(id, now.minusSeconds(1)), id, now));
  }

  @Test
  void aTokenSignedWithAnotherKeyIsRefused() {
    ModuleIdentity other = new ModuleIdentity(id.hubHostName(), id.deviceId(), id.moduleId(), ModuleIdentity.randomKey(), "g");
    assertEquals(Optional.of("bad signature"), SasTokens.refusal(SasTokens.sign(other, now.plusSeconds(60)), id, now));
  }

  @Test
  void aTokenForAnotherModuleIsRefusedEvenWithTheRightKey() {
    ModuleIdentity sibling = new ModuleIdentity(id.hubHostName(), id.deviceId(), "sibling", id.key(), "g");
    assertEquals(Optional.of("token is for another resource"),
        SasTokens.refusal(SasTokens.sign(sibling, now.plusSeconds(60)), id, now));
  }

  @Test
  void aTokenWhoseExpiryWasChangedAfterSigningIsRefused() {
    String token = SasTokens.sign(id, now.plusSeconds(60));
    String extended = token.replaceFirst("se=\\d+", "se=" + now.plusSeconds(86_400).getEpochSecond());
    assertEquals(Optional.of("bad signature"), SasTokens.refusal(extended, id, now));
  }

  @Test
  void malformedTokensAreRefused() {
    assertEquals(Optional.of("not a SharedAccessSignature"), SasTokens.refusal("Bearer x", id, now));
    assertEquals(Optional.of("sr, sig and se are required"), SasTokens.refusal("SharedAccessSignature sr=a&se=1", id, now));
    assertEquals(Optional.of("se is not a number"), SasTokens.refusal("SharedAccessSignature sr=a&sig=b&se=x", id, now));
    assertEquals(Optional.of("malformed field"), SasTokens.refusal("SharedAccessSignature junk", id, now));
  }
}
