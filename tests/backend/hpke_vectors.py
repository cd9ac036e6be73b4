"""Official HPKE (RFC 9180) known-answer test vector.

Suite: mode 0 (base), KEM 0x0020 DHKEM(X25519, HKDF-SHA256),
KDF 0x0001 HKDF-SHA256, AEAD 0x0002 AES-256-GCM.

Source: the CFRG test-vectors.json for RFC 9180,
github.com/cfrg/draft-irtf-cfrg-hpke, path test-vectors.json, commit
5f503c564da00b0687b3de75f1dfbdfc4079ad31 (SHA-256
61fc662f01996cd06d713dacf5e133167bd309a1f329442d53f1e21a47b3ede6). It is the
entry with "mode":0,"kem_id":32,"kdf_id":1,"aead_id":2. The values were read
from the copy of that file's vectors in github.com/thevilledev/ocaml-hpke, path
test-vectors/rfc9180-supported.json (commit
8966af3e1ebf2cbe7bdfea49c3d038ec57284fc2). That file is a reformatted subset
that records the CFRG source URL, commit and SHA-256 above. Only the first two
of its encryptions are kept here.
"""

X25519_SHA256_AES256GCM_BASE = {
    "mode": "00",
    "kem_id": "0020",
    "kdf_id": "0001",
    "aead_id": "0002",
    "info": "4f6465206f6e2061204772656369616e2055726e",
    "ikmR": "dac33b0e9db1b59dbbea58d59a14e7b5896e9bdf98fad6891e99d1686492b9ee",
    "skRm": "497b4502664cfea5d5af0b39934dac72242a74f8480451e1aee7d6a53320333d",
    "pkRm": "430f4b9859665145a6b1ba274024487bd66f03a2dd577d7753c68d7d7d00c00c",
    "enc": "6c93e09869df3402d7bf231bf540fadd35cd56be14f97178f0954db94b7fc256",
    "shared_secret": "3101c54c3a4f87439eaac080699ed9bbcc726ffe44e860c0424ccb7e3e2ead7b",
    "key": "f50b0609186798729ed0564b36ef2ef8044f1f9d05636874d1f46c819c7a669f",
    "base_nonce": "151d9929e2449747889bc923",
    "encryptions": [
        {
            "aad": "436f756e742d30",
            "ct": "e5d84cd531cfb583096e7cfa9641bd3079cf3a91cda813c52deb5f512be9931980a41de125a925cdad859d5b7a",
            "nonce": "151d9929e2449747889bc923",
            "pt": "4265617574792069732074727574682c20747275746820626561757479",
        },
        {
            "aad": "436f756e742d31",
            "ct": "2c43aff25343fdbff864506f0818b9d87df84ea01b1a2144d23b4d40c26bf655fdf197fe40297a8aebeed5cc2d",
            "nonce": "151d9929e2449747889bc922",
            "pt": "4265617574792069732074727574682c20747275746820626561757479",
        },
    ],
}
