package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {

  private final PasswordHasher hasher = new PasswordHasher(1_000);

  @Test
  void aHashVerifiesItsOwnPasswordAndNoOther() {
    PasswordHash hash = hasher.hash("correct horse");
    assertTrue(hasher.verify("correct horse", hash));
    assertFalse(hasher.verify("correct hors", hash));
    assertFalse(hasher.verify("", hash));
  }

  @Test
  void aDecoyCostsWhatARealHashCostsAndMatchesNoPassword() {
    PasswordHash decoy = hasher.decoy();
    assertEquals(hasher.hash("x").iterations(), decoy.iterations());
    assertEquals(hasher.hash("x").encoded().length(), decoy.encoded().length());
    assertFalse(hasher.verify("", decoy));
    assertFalse(hasher.verify("guess", decoy));
    assertNotEquals(decoy.encoded(), hasher.decoy().encoded());
  }

  @Test
  void theSamePasswordHashesDifferentlyEachTimeBecauseOfTheSalt() {
    assertNotEquals(hasher.hash("x").encoded(), hasher.hash("x").encoded());
  }

  @Test
  void theDefaultHashStringNamesAlgorithmIterationsSaltAndHash() {
    PasswordHash hash = new PasswordHasher().hash("pw");
    String[] parts = hash.encoded().split("\\$");
    assertEquals(4, parts.length);
    assertEquals("pbkdf2-sha256", parts[0]);
    assertEquals(String.valueOf(PasswordHasher.DEFAULT_ITERATIONS), parts[1]);
    assertEquals(16, Base64.getDecoder().decode(parts[2]).length);
    assertEquals(32, Base64.getDecoder().decode(parts[3]).length);
    PasswordHash parsed = PasswordHash.parse(hash.encoded());
    assertEquals(hash, parsed);
    assertEquals(PasswordHasher.DEFAULT_ITERATIONS, parsed.iterations());
  }

  @Test
  void aHashMadeWithOtherParametersStillVerifies() {
    PasswordHash old = new PasswordHasher(500).hash("pw");
    assertTrue(hasher.verify("pw", PasswordHash.parse(old.encoded())));
  }

  @Test
  void malformedHashStringsAreRefusedWithoutEchoingThem() {
    for (String bad : new String[] {"", "bcrypt$1$a$b", "pbkdf2-sha256$x$AA==$AA==",
        "pbkdf2-sha256$10$!!$AA==", "pbkdf2-sha256$10$AA=="}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> PasswordHash.parse(bad));
      assertFalse(!bad.isEmpty() && e.getMessage().contains(bad), e.getMessage());
    }
  }

  @Test
  void generatedPasswordsAreLongRandomAndUrlSafe() {
    String a = hasher.generatePassword();
    assertEquals(43, a.length());
    assertTrue(a.matches("[A-Za-z0-9_-]+"));
    assertNotEquals(a, hasher.generatePassword());
  }
}
