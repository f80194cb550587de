#!/usr/bin/env -S node --v8-pool-size=1
import { main } from '../dist/src/host/node/cli/riscv64-user.js';

main();
