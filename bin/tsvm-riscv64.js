#!/usr/bin/env node
import { main } from '../dist/src/host/node/cli/riscv64-user.js';

main();
