// The registry flow as an ordinary ethers.js v6 client does it, against any permitchain node:
// deploy PermitRegistry and IssuerRegistry, link them, appoint the signer as registrar, anchor a
// permit, read its status, revoke it, read the status again. Prints one JSON summary on stdout.
//
// usage: node registry_flow.mjs --rpc http://127.0.0.1:8545 --key 0x<private key> --artifacts contracts/artifacts
//        [--ws ws://127.0.0.1:8545]   (also watch PermitAnchored through an eth_subscribe "logs" subscription)

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  ContractFactory,
  Contract,
  JsonRpcProvider,
  NonceManager,
  Wallet,
  WebSocketProvider,
  keccak256,
  toUtf8Bytes,
} from "ethers";

const STATUS_VALID = 1n;
const STATUS_REVOKED = 5n;
const REVOKE_REASON = 7;

function loadArtifact(dir, name) {
  const artifact = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
  if (!artifact.abi || !artifact.bytecode) throw new Error(`${name}: not a contract artifact`);
  return artifact;
}

async function main() {
  const { values } = parseArgs({
    options: {
      rpc: { type: "string" },
      ws: { type: "string" },
      key: { type: "string" },
      artifacts: { type: "string" },
    },
  });
  if (!values.rpc || !values.key || !values.artifacts) {
    throw new Error("usage: registry_flow.mjs --rpc URL --key 0xKEY --artifacts DIR");
  }
  // ethers caches identical reads for 250 ms. This chain seals a block within milliseconds of a
  // transaction and makes no empty blocks, so a cached "no receipt yet" can leave tx.wait() waiting for a
  // block that never comes, and a cached "pending" nonce can be stale: the cache is turned off.
  const provider = new JsonRpcProvider(values.rpc, undefined, { pollingInterval: 50, cacheTimeout: -1 });
  provider.pollingInterval = 50;
  const wallet = new NonceManager(new Wallet(values.key, provider));
  const signerAddress = await wallet.getAddress();
  const network = await provider.getNetwork();

  const permitArtifact = loadArtifact(values.artifacts, "PermitRegistry");
  const issuerArtifact = loadArtifact(values.artifacts, "IssuerRegistry");

  const permitRegistry = await new ContractFactory(permitArtifact.abi, permitArtifact.bytecode, wallet).deploy();
  await permitRegistry.waitForDeployment();
  const permitAddress = await permitRegistry.getAddress();
  const issuerRegistry = await new ContractFactory(issuerArtifact.abi, issuerArtifact.bytecode, wallet).deploy(permitAddress);
  await issuerRegistry.waitForDeployment();
  const issuerAddress = await issuerRegistry.getAddress();

  const permit = new Contract(permitAddress, permitArtifact.abi, wallet);
  await (await permit.link_issuer_registry(issuerAddress)).wait();
  await (await permit.add_registrar(signerAddress)).wait();

  const head = await provider.getBlock("latest");
  const now = BigInt(head.timestamp);
  const issuedAt = now - 86400n;
  const validUntil = now + 3n * 365n * 86400n;
  const permitHash = keccak256(toUtf8Bytes(`ethers flow permit ${now}`));
  const permitNumber = `KZ-ETHERS-${now}`;
  const issuerId = "0x" + Buffer.from("123456789012", "ascii").toString("hex");

  // With --ws: an ethers WebSocketProvider subscribes to the event before the anchor is sent.
  let wsProvider = null;
  let watched = null;
  let anchoredOverWs = Promise.resolve(null);
  if (values.ws) {
    wsProvider = new WebSocketProvider(values.ws);
    watched = new Contract(permitAddress, permitArtifact.abi, wsProvider);
    let seen;
    anchoredOverWs = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no PermitAnchored over WebSocket within 30 s")), 30000);
      seen = (...args) => {
        clearTimeout(timer);
        resolve(args[args.length - 1].log.transactionHash);
      };
    });
    await watched.on("PermitAnchored", seen);
    await wsProvider.getBlockNumber(); // the subscription request went out before this answer came back
  }

  const anchorTx = await permit.anchor(permitHash, permitNumber, issuerId, issuedAt, validUntil, "Test Platform LLP", "test-platform");
  const anchorReceipt = await anchorTx.wait();
  const anchoredEvent = anchorReceipt.logs
    .map((log) => { try { return permit.interface.parseLog(log); } catch { return null; } })
    .find((parsed) => parsed && parsed.name === "PermitAnchored");

  const wsAnchorTx = await anchoredOverWs;
  if (wsProvider) {
    await watched.removeAllListeners(); // sends eth_unsubscribe and waits for it
    await wsProvider.destroy();
  }
  const before = await permit.status_at(permitHash, now);

  let duplicateReason = null;
  try {
    await permit.anchor.staticCall(permitHash, permitNumber + "-2", issuerId, issuedAt, validUntil, "x", "y");
  } catch (error) {
    duplicateReason = error.reason ?? null;
  }

  const revokeReceipt = await (await permit.revoke(permitHash, REVOKE_REASON)).wait();
  const revokeBlock = await provider.getBlock(revokeReceipt.blockNumber);
  const after = await permit.status_at(permitHash, BigInt(revokeBlock.timestamp));

  const summary = {
    chainId: network.chainId.toString(),
    permitRegistry: permitAddress,
    issuerRegistry: issuerAddress,
    permitHash,
    anchorTx: anchorReceipt.hash,
    anchorStatus: anchorReceipt.status,
    wsAnchorTx,
    anchoredEvent: anchoredEvent ? anchoredEvent.args.permit_number : null,
    statusBefore: Number(before.status),
    permitNumber: before.permit_number,
    duplicateAnchorReason: duplicateReason,
    revokeStatus: revokeReceipt.status,
    statusAfter: Number(after.status),
    revokeReason: Number(after.reason),
    validBefore: before.status === STATUS_VALID,
    revokedAfter: after.status === STATUS_REVOKED,
  };
  console.log(JSON.stringify(summary));
  provider.destroy();
  process.exit(0);
}

main().catch((error) => {
  console.error(`error: ${error.shortMessage ?? error.message}`);
  process.exit(1);
});
