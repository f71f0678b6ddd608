#!/usr/bin/env node
// A PLC stand-in built on node-opcua: an OPC UA implementation we did not write, used by the test
// suite and CI as an independent peer for the twin's HIL client, probe and browse.
//
// Usage: node plc.js PORT [--tags N] [--cycle-ms MS] [--max-nodes-per-read N] [--max-nodes-per-write N]
//                         [--exit-with-stdin]   (exit when stdin closes: the parent test process went away)
//
// Address space (namespace URI "urn:dtwin:node-plc", string node ids):
//   Objects/PLC/                     folder
//     In_Bool  Boolean  read/write    Out_Bool   Boolean  read-only  = !In_Bool
//     In_Int   Int32    read/write    Out_Int    Int32    read-only  = In_Int * 2
//     In_Double Double  read/write    Out_Double Double   read-only  = In_Double * 2
//     In_Float Float    read/write    Out_Float  Float    read-only  = In_Float * 2
//     Cycle    Int32    read-only     scan counter
//   Objects/PLC/Bench/               folder with N pairs for benchmarks
//     In_0000 .. Double read/write    Out_0000 .. Double read-only = In * 2
// Node ids are "PLC.<name>" and "PLC.Bench.<name>", e.g. "nsu=urn:dtwin:node-plc;s=PLC.In_Double".
// The scan cycle (default every 10 ms) recomputes every output from its input.
// Prints "READY <port>" on stdout once it accepts connections; exits on SIGTERM/SIGINT.
"use strict";

const path = require("path");
const {
    OPCUAServer,
    OPCUACertificateManager,
    DataType,
    Variant,
    AccessLevelFlag,
    MessageSecurityMode,
    SecurityPolicy,
} = require("node-opcua");

const NAMESPACE_URI = "urn:dtwin:node-plc";

function parseArgs(argv) {
    const options = {
        port: NaN,
        tags: 0,
        cycleMs: 10,
        maxNodesPerRead: 0,
        maxNodesPerWrite: 0,
        exitWithStdin: false,
    };
    const positional = [];
    for (let i = 0; i < argv.length; i += 1) {
        const arg = argv[i];
        const next = () => {
            i += 1;
            if (i >= argv.length) throw new Error(`missing value after ${arg}`);
            return Number(argv[i]);
        };
        if (arg === "--tags") options.tags = next();
        else if (arg === "--cycle-ms") options.cycleMs = next();
        else if (arg === "--max-nodes-per-read") options.maxNodesPerRead = next();
        else if (arg === "--max-nodes-per-write") options.maxNodesPerWrite = next();
        else if (arg === "--exit-with-stdin") options.exitWithStdin = true;
        else positional.push(arg);
    }
    options.port = Number(positional[0]);
    if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
        throw new Error("usage: node plc.js PORT [--tags N] [--cycle-ms MS]");
    }
    return options;
}

const READ_ONLY = AccessLevelFlag.CurrentRead;
const READ_WRITE = AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite;

function addTag(namespace, parent, nodeId, browseName, dataType, value, writable) {
    const access = writable ? READ_WRITE : READ_ONLY;
    return namespace.addVariable({
        componentOf: parent,
        nodeId: `s=${nodeId}`,
        browseName,
        dataType,
        accessLevel: access,
        userAccessLevel: access,
        minimumSamplingInterval: 0,
        value: new Variant({ dataType, value }),
    });
}

function currentValue(variable) {
    return variable.readValue().value.value;
}

async function main() {
    const options = parseArgs(process.argv.slice(2));
    const limits = {};
    if (options.maxNodesPerRead > 0) limits.maxNodesPerRead = options.maxNodesPerRead;
    if (options.maxNodesPerWrite > 0) limits.maxNodesPerWrite = options.maxNodesPerWrite;

    // Kept under node_modules so `npm ci` starts it afresh and git never sees it.
    const pkiRoot = path.join(__dirname, "node_modules", ".cache", "dtwin-plc-pki");
    const serverCertificateManager = new OPCUACertificateManager({
        rootFolder: pkiRoot,
        automaticallyAcceptUnknownCertificate: true,
        disableFileWatchers: true,
    });

    const server = new OPCUAServer({
        port: options.port,
        hostname: "127.0.0.1",
        alternateHostname: ["127.0.0.1"],
        serverCertificateManager,
        securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
        securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
        allowAnonymous: true,
        buildInfo: { productName: "dtwin node-opcua PLC peer", manufacturerName: "dtwin tests" },
        serverCapabilities: { operationLimits: limits },
    });
    await server.initialize();

    const addressSpace = server.engine.addressSpace;
    const namespace = addressSpace.registerNamespace(NAMESPACE_URI);
    const plc = namespace.addFolder(addressSpace.rootFolder.objects, { browseName: "PLC", nodeId: "s=PLC" });

    const pairs = [
        ["Bool", DataType.Boolean, false, (x) => !x],
        ["Int", DataType.Int32, 0, (x) => (x * 2) | 0],
        ["Double", DataType.Double, 0.0, (x) => x * 2],
        ["Float", DataType.Float, 0.0, (x) => Math.fround(x * 2)],
    ].map(([name, dataType, initial, compute]) => ({
        input: addTag(namespace, plc, `PLC.In_${name}`, `In_${name}`, dataType, initial, true),
        output: addTag(namespace, plc, `PLC.Out_${name}`, `Out_${name}`, dataType, compute(initial), false),
        dataType,
        compute,
        last: undefined,
    }));
    const cycle = addTag(namespace, plc, "PLC.Cycle", "Cycle", DataType.Int32, 0, false);

    if (options.tags > 0) {
        const bench = namespace.addFolder(plc, { browseName: "Bench", nodeId: "s=PLC.Bench" });
        for (let i = 0; i < options.tags; i += 1) {
            const suffix = String(i).padStart(4, "0");
            pairs.push({
                input: addTag(namespace, bench, `PLC.Bench.In_${suffix}`, `In_${suffix}`, DataType.Double, 0.0, true),
                output: addTag(namespace, bench, `PLC.Bench.Out_${suffix}`, `Out_${suffix}`, DataType.Double, 0.0, false),
                dataType: DataType.Double,
                compute: (x) => x * 2,
                last: 0.0,
            });
        }
    }

    let cycles = 0;
    const scan = () => {
        for (const pair of pairs) {
            const value = currentValue(pair.input);
            if (value === pair.last) continue; // only changed inputs cost a write
            pair.last = value;
            pair.output.setValueFromSource(new Variant({ dataType: pair.dataType, value: pair.compute(value) }));
        }
        cycles = (cycles + 1) | 0;
        cycle.setValueFromSource(new Variant({ dataType: DataType.Int32, value: cycles }));
    };
    const timer = setInterval(scan, options.cycleMs);

    await server.start();
    process.stdout.write(`READY ${options.port}\n`);

    let stopping = false;
    const stop = async () => {
        if (stopping) return;
        stopping = true;
        clearInterval(timer);
        // A test peer need not linger: give the graceful shutdown a moment, then leave.
        setTimeout(() => process.exit(0), 300).unref();
        try {
            await server.shutdown(0);
        } finally {
            process.exit(0);
        }
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    if (options.exitWithStdin) {
        process.stdin.on("end", stop); // the parent test process went away
        process.stdin.resume();
    }
}

main().catch((err) => {
    process.stderr.write(`node PLC peer failed: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
});
