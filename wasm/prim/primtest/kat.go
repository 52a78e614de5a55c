package primtest

// Known-answer vectors. Every expected value below was computed outside Go,
// with Python 3 (hashlib, hmac) and pyca/cryptography 48 on OpenSSL 3, or is
// quoted from the RFC or specification it names. None was produced by the
// code under test.
//
// Conventions for inputs: seq(a, n) is the n bytes a, a+1, …; rep(b, n) is n
// copies of b; block1024 is seq(0, 256) repeated four times.

type shaKAT struct {
	name   string
	msg    []byte
	digest string
}

type aeadKAT struct {
	name           string
	key, nonce     []byte
	plaintext, aad []byte
	// sealed is ciphertext || tag in hex, or, when sealedSHA256 is set,
	// the SHA-256 of it.
	sealed       string
	sealedSHA256 bool
}

type macKAT struct {
	name     string
	key, msg []byte
	tag      string
}

type hkdfKAT struct {
	name               string
	secret, salt, info []byte
	length             int
	okm                string
	okmSHA256          bool
}

type pbkdf2KAT struct {
	name           string
	password, salt []byte
	iterations     int
	dk             string
}

// rsaKAT is a ciphertext made by pyca/cryptography under test key number
// key (0-based index into Keys) with RSA-OAEP, SHA-256, MGF1-SHA-256.
type rsaKAT struct {
	name       string
	key        int
	label, msg []byte
	ciphertext string
}

func seq(a byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = a + byte(i)
	}
	return b
}

func rep(x byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = x
	}
	return b
}

func block1024() []byte {
	b := make([]byte, 0, 1024)
	for range 4 {
		b = append(b, seq(0, 256)...)
	}
	return b
}

var shaKATs = []shaKAT{
	{"empty", nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},         // FIPS 180-2
	{"abc", []byte("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}, // FIPS 180-2
	{"block1024", block1024(), "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"},
}

var aeadKATs = []aeadKAT{
	{
		// McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14.
		name: "gcm-spec-14", key: rep(0, 32), nonce: rep(0, 12), plaintext: rep(0, 16),
		sealed: "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919",
	},
	{
		name: "text+aad", key: seq(0, 32), nonce: seq(0xa0, 12),
		plaintext: []byte("zkvault primitive known-answer test"), aad: []byte("zkvault/v2/test"),
		sealed: "9c730a4c30a7769f1217eebe6e0ea9a8158c327efdc02c41fd6055f11ad95575b70533" +
			"f259afbcfe2eea04d2afbb01dda021d6",
	},
	{
		name: "empty", key: seq(0, 32), nonce: seq(0xa0, 12),
		sealed: "5c699625af4b93a0f8220a2a6119c5d0",
	},
	{
		name: "block1024", key: seq(0, 32), nonce: seq(0xa0, 12), plaintext: block1024(),
		sealed: "724fb4022325644516f3e8c9d309651a5330b387d2df962cf00b760ecf846de0", sealedSHA256: true,
	},
}

var macKATs = []macKAT{
	// RFC 4231, test case 2.
	{"rfc4231-2", []byte("Jefe"), []byte("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	{"key32", seq(0, 32), []byte("zkvault"), "e35ded1000e746c1533f630201860ed39ef980f3c315ca0ac6e8cb490f0889c6"},
	{"empty-msg", seq(0, 32), nil, "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb"},
	{"key100", seq(0, 100), []byte("zkvault"), "a42e1579a50b3a256a5dd501063d3c49085660338bc0ea31667e7b63877be669"},
}

var hkdfKATs = []hkdfKAT{
	// RFC 5869, test case 1.
	{
		name: "rfc5869-1", secret: rep(0x0b, 22), salt: seq(0, 13), info: seq(0xf0, 10), length: 42,
		okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	},
	{
		name: "nil-salt", secret: rep(0x0b, 32), info: []byte("zkvault/v2/field"), length: 32,
		okm: "60d39ce8f3e4645fa8458ea78c49b6ae83df71f03a3dc1e359ec08dfdcda0f99",
	},
	{
		name: "empty-salt", secret: rep(0x0b, 32), salt: []byte{}, info: []byte("zkvault/v2/field"), length: 32,
		okm: "60d39ce8f3e4645fa8458ea78c49b6ae83df71f03a3dc1e359ec08dfdcda0f99",
	},
	{
		name: "zero-salt", secret: rep(0x0b, 32), salt: rep(0, 32), info: []byte("zkvault/v2/field"), length: 32,
		okm: "60d39ce8f3e4645fa8458ea78c49b6ae83df71f03a3dc1e359ec08dfdcda0f99",
	},
	{
		name: "salt16-len42", secret: rep(0x0b, 32), salt: seq(0, 16), info: []byte("info"), length: 42,
		okm: "5af076741e53afc245763765c6cdbef909ad53bc59f09997ba420e07f5c5cd49d2a2be030ba7c4c3d4f4",
	},
	{name: "len1", secret: rep(0x0b, 32), length: 1, okm: "27"},
	{
		name: "len8160", secret: rep(0x0b, 32), info: []byte("x"), length: 8160,
		okm: "19ad97ac6a6aae229389fcafaff1506e3d45258695a584f495da6a5a183d3024", okmSHA256: true,
	},
}

var pbkdf2KATs = []pbkdf2KAT{
	{"iter1", []byte("password"), []byte("salt"), 1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"},
	{"iter4096", []byte("password"), []byte("salt"), 4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"},
	{
		"len64", []byte("correct horse battery staple"), seq(0, 16), 1000,
		"a69b179e3add3c1e0aaf227a0eb3aa2aa8645ab86fecf6ca00c17512697c719ed35f6dc6fba420111c1d0abb5dabbfc8539681e885523a94f3ea280704b6791b",
	},
	{"empty-password", nil, seq(0, 16), 10, "595bd935ae36fc1e8960427231aa29d9198368740b19b26517bd9d4cb586fda2"},
}

var rsaKATs = []rsaKAT{
	{
		name: "label", key: 0, label: []byte("zkvault/v2/test-label"), msg: seq(0, 32),
		ciphertext: "0d08cff1aa3e933192f39879f1fdb1b3165c8c12eda41854162f3dd42680ca51a22f640c4ba12fe28c72bed09590cff74f1fa38192eee1031107e7ca271d85abc9e1816b2dcce8b650a71caee08e84d88ff32e230b0d72cec507ea16ef563b1bcd85eba881266b741efb88df6f72a4e87ecee8700d1ec139ba8a89ca95a3fba42b10e5c6f25757a51cf9fce5c788b334a172caf77b23993c0fbf3891fac48cbd592bf5fa8f6822fa5862628fedb440d793cfdf56d6a747830c239cec87a2dd043addc48f13339214c3bbea7b1b0d4b236ac1ab7cfdb3a3c9709bb1703c7701a9fcd7584c9663f408db804f09d544f2dad05b458b93dccb7fa08817aa56ca00b593f1707102278a97588b1237281291b835ba355e70a7b1a282dda7d99d890fb14245c796a6caa3773da8b57b3b9d0a399123a5a1b7510206837713655787c3ef343c203802cdca43a06d9d16510f18c5a44590f5094fec944101d57b2b0c71a34cf1b9ae41610fe465f35ef656da4ed5b78081a34edef14d8599dcf74304405007c21246b69904507e1fd135b0029da65d896feb9b9e4c008790905e82e726674aeef408f6de5d9451a56d15241067e2c7557937e23194b3de87caa06f87f2d64ceb480ee5ee4174fa44a7f4ae602dfb87bceb469bba7edb11499483322b34668fad6654492f1f51a793f52978de06a6b053f3f9d724ee6d24280cefa289d778",
	},
	{
		name: "no-label", key: 0, msg: []byte("hello"),
		ciphertext: "3a447a2229ee8ba5d6af823b9d56b2e7ccf732b6d699a505a852e7365c065c1ecbe568c95fcd8cd673d81102171ef44c87fea7590f69cf52a04189ccd41f8deb3499e35855a99f45e1b62cb6bbf5f041687ca384e409db058426dfe24c7365c27af8ec3b7c4d09e94ccc88e14b68627cf6c3434f69c067101e922cb649ab6a722cd89f9acf783b4e739afe4c5a8932bd6ad0d02678da3873dfc1d24b1c1e68614a4ecde8e259f9d9710a6482fd07a5d20ae463167af85e275a9fbcd35745670b312b4eaa1e7336d13df368e1198caba2e80808d7b530f6dbffab52f6ca5300c5a84d046567ef8f30504e3b35cbb3abd96c4b3fd55fae8c63f175d32b7a6d55862e1a9cacb850980f3b532d8e96a8263dfb50f6c33f36d7a9e8a77a0283121ea8d9057391c795b6da4dbf7506f6776668dfad21132f2a480b234588496e5d45b965a41949a45c17c809109601e7c20df5ed3604de5fd368cc01a19abe103f0ccbfee709269c094f65b7fd78ce46d8beafadc45883d367913d3ae8bdd069c94a69cfbc7719aa7c6bc2e8810bece63c3a3f3820ffda1723479680809513afa31b9c0be375555b9299110b9ca973572c999800eba38ab626a5d4e7da4725f90dd94b105f1ec2ca3ed803be6a1060e2bc26eb0bfc169a201ec861fb18ebcdcdcaa24c066c0567c62b99d551cc19be9db3c1488b5f62b3e3db423f9e72d06767841559",
	},
	{
		name: "max-message", key: 0, label: []byte("L"), msg: rep(0x5a, 446),
		ciphertext: "29ecde4ba3f7cc7f524c2849e770c25b4ae8b334c7c5676c1d80eaec25ea3719cc726f868213f20285c936fdb94837e68afb1ca61fa5e31de7b74f2a90a22a62a31a9f495f1a043d77aeed00054cf093166d5bd700e68af96b33406d3a18f7c8d60cd4da1c8724b4bb2063251ddfcf0492b0b2fe46c729fdc58ee87513ce3ac5eecd8f2abf28a3b0862021436e1a14a3aeef8d7b6c2912d0c02ad9053db05a4a2927de4fa969165997a0f6206691ef3531f570e2e285e51b2c55cd5132689c776cac87b31697b7755375c0f88d6c06fca9bfe5a24ba0d55bd29979328101ba47d83bdf4f518e7ac6f66845a952ef4fe6a41e1cbe04e3fdfc01063993a2d31d8c5bc4b58bb4363ab33b1d20dbbc0d58972e817bed249f67449143f9855ea75d5e6c20eb97d8fb3f1098185d99a62a9eb526a244695d4152c427b0409c9f6eeb8bb473979b0b69ef85c48b448e5bac57e82cbb991d31ea14cc1b573c33e2b43e76991f639f36b18b4cab594da7f0455e2d0a65fc8375844bc5a70b35de4615786687038b5e10172c2090c146dab2788825ffae0882456dd89b70b1bfbb95bc4724010da17b397e8efd69ac74cf5429ed529a7af3a1c2f31c0ea2239877b22b2b4f5f19f6fac8c0a89ef04e817059a7ec54479fd7908eab7371a72bbe4ce1c8b7b9c9736ff8a82adbaf94ff8595b1a911d1038e01faff7308ed3ea5b91b57a66d80",
	},
}
